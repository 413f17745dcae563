"""The run fingerprint: every setting a run's numbers depend on, fixed when the run starts.

A shard joining the run or a `--resume` computes its own fingerprint and is refused when a field differs,
naming the fields (docs/runs.md). `--allow-changed FIELD` accepts a change of FIELD (a field name as the refusal
prints it, or a prefix of one, e.g. `tasks.tvbench.generation`) and is recorded in the manifest's history.
Not in the fingerprint, so free to change on resume: batch size, DataLoader workers, the frame cache, the world
size and where the data root lives (its content is in the fingerprint through the annotation checksums).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tarsier_eval.data.sample import LoadResult
from tarsier_eval.errors import UsageError
from tarsier_eval.runner.config import RunConfig
from tarsier_eval.runner.provenance import redact
from tarsier_eval.task import TaskSpec, options_for


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def task_fingerprint(spec: TaskSpec, loaded: LoadResult, config: RunConfig, video: dict[str, Any]) -> dict[str, Any]:
    """What one task's numbers depend on: its definition, annotation files, inputs and scoring settings."""
    return {
        "version": spec.version,
        "annotations": dict(sorted(loaded.files.items())),
        "samples": len(loaded.samples),
        "video": video,
        "prompt": _digest(spec.prompt),
        "generation": {**spec.generation, **config.gen_kwargs},
        "loader_options": {**(spec.loader.options if spec.loader else {}),
                           **options_for(spec.name, config.loader_options)},
        "scorer": {"name": spec.scorer.name if spec.scorer else None,
                   "parser": spec.parser.name if spec.parser else None,
                   "options": {**(spec.scorer.options if spec.scorer else {}),
                               **options_for(spec.name, config.score_options)}},
    }  # fmt: skip


def run_fingerprint(config: RunConfig, model: dict[str, Any], tasks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "model": {
            "backend": config.model,
            "args": redact(config.model_args),
            "fingerprint": model.get("fingerprint"),
            "revision": model.get("revision"),
        },
        "limit": config.limit,
        "seed": config.seed,
        "tasks": tasks,
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, recorded value, current value) for every field that differs; a field absent on one side is None."""
    old, new = _flatten(recorded), _flatten(current)
    return [(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def _allowed(name: str, allowed: list[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def check_same_run(recorded: dict[str, Any], current: dict[str, Any], allowed: list[str], what: str) -> list[str]:
    """The changed fields `allowed` accepts; a change it does not accept is a UsageError listing every one."""
    changed = differences(recorded, current)
    refused = [(k, a, b) for k, a, b in changed if not _allowed(k, allowed)]
    if refused:
        lines = "\n".join(f"  {k}: {a!r} -> {b!r}" for k, a, b in refused[:20])
        more = f"\n  ... and {len(refused) - 20} more" if len(refused) > 20 else ""
        raise UsageError(
            f"{what} has settings that differ from the run's (results must not mix):\n{lines}{more}\n"
            "start a new run (another --run-id), or accept a change explicitly with --allow-changed FIELD"
        )
    unused = [a for a in allowed if not any(_allowed(k, [a]) for k, _, _ in changed)]
    if unused:
        raise UsageError(f"--allow-changed {', '.join(unused)}: no such field changed")
    return sorted({k for k, _, _ in changed})
