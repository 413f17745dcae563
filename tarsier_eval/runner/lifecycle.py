"""A run's life in its manifest: created once, joined by shards and resumes that match its fingerprint, each
invocation appended to its history, finished as complete or incomplete (docs/runs.md).

Manifest updates from concurrent `--shard` processes are serialised with an exclusive lock on `RUN_DIR/.lock`.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tarsier_eval.errors import UsageError
from tarsier_eval.rundir import COMPLETE, INCOMPLETE, RUNNING, Invocation, Manifest
from tarsier_eval.runner.config import RunConfig
from tarsier_eval.runner.fingerprint import check_same_run
from tarsier_eval.runner.provenance import git_sha, now_iso, package_versions, redact, redact_argv


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _describe_join(kind: str, shard: tuple[int, int] | None) -> str:
    return f"shard {shard[0]}/{shard[1]}" if shard else "--resume" if kind == "resume" else "this run"


def begin(
    run_dir: Path, config: RunConfig, fingerprint: dict[str, Any], model: dict[str, Any], argv: list[str], *,
    kind: str, shard: tuple[int, int] | None, world_size: int, allowed: list[str],
) -> Invocation:  # fmt: skip
    """Create the run's manifest, or join the existing one after checking the fingerprint; return this invocation.

    `kind` is "start" (a new run: an existing manifest is an error), "shard" (creates or joins) or "resume"."""
    invocation = Invocation(kind, redact_argv(argv), now_iso(), f"{shard[0]}/{shard[1]}" if shard else None,
                            world_size, id=uuid.uuid4().hex[:12], pid=os.getpid())  # fmt: skip
    with locked(run_dir):
        manifest = Manifest.read_if_any(run_dir)
        if manifest is None:
            if kind == "resume":
                raise UsageError(f"{run_dir} has no manifest.json: not a run dir")
            manifest = Manifest(
                run_id=run_dir.name, created=invocation.at, command=invocation.command,
                config={**asdict(config), "model_args": redact(config.model_args)}, fingerprint=fingerprint,
                model=model, git_sha=git_sha(), packages=package_versions(), world_size=world_size,
            )  # fmt: skip
        elif kind == "start":
            raise UsageError(f"run dir {run_dir} already holds a run: continue it with --resume {run_dir}, "
                             "or choose another --run-id")  # fmt: skip
        else:
            invocation.allowed_changes = check_same_run(manifest.fingerprint, fingerprint, allowed,
                                                        _describe_join(kind, shard))  # fmt: skip
            manifest.world_size = world_size  # the latest launch's; each invocation keeps its own in history
        manifest.history.append(invocation)
        manifest.status = RUNNING
        manifest.write(run_dir)
    return invocation


def finish_invocation(run_dir: Path, invocation: Invocation, model: dict[str, Any] | None = None,
                      timings: dict[str, dict[str, float]] | None = None) -> None:  # fmt: skip
    """Record that this invocation's generation finished (a shard counts as done only then), with the model
    entry as the backend describes it after generating and the per-task timings."""
    with locked(run_dir):
        manifest = Manifest.read(run_dir)
        if model is not None:
            manifest.model = model
        for entry in manifest.history:
            if entry.id == invocation.id:
                entry.finished = now_iso()
                entry.timings = timings or {}
        manifest.write(run_dir)


def record(run_dir: Path, kind: str, argv: list[str]) -> None:
    """Append a finished invocation that generates nothing (e.g. `merge`) to the run's history."""
    with locked(run_dir):
        manifest = Manifest.read(run_dir)
        at = now_iso()
        manifest.history.append(Invocation(kind, redact_argv(argv), at, id=uuid.uuid4().hex[:12], finished=at))
        manifest.write(run_dir)


def missing_shards(manifest: Manifest) -> list[str]:
    """The `--shard i/N` parts that never finished since the last finished whole-run invocation (which covered
    every sample left); a mix of part counts N is a usage error naming them."""
    history = manifest.history
    whole = [i for i, h in enumerate(history) if h.kind in ("start", "resume") and h.finished]
    parts = [h for h in history[whole[-1] + 1 if whole else 0 :] if h.kind == "shard" and h.shard]
    if not parts:
        return []
    totals = {int(h.shard.split("/")[1]) for h in parts}  # type: ignore[union-attr]
    if len(totals) > 1:
        raise UsageError(f"shards of different counts joined this run ({sorted(totals)}): they do not split the "
                         "samples the same way; rerun with one N")  # fmt: skip
    total = totals.pop()
    done = {h.shard for h in parts if h.finished}
    return [f"{i}/{total}" for i in range(total) if f"{i}/{total}" not in done]


def run_flags(manifest: Manifest) -> list[str]:
    """Warnings that travel with the run's numbers into tables, reports and gates."""
    flags = []
    if manifest.status != COMPLETE:
        what = (
            f"shards {', '.join(manifest.missing_shards)} never finished" if manifest.missing_shards else "unfinished"
        )
        flags.append(f"incomplete: {what}")
    changed = sorted({c for h in manifest.history for c in h.allowed_changes})
    if changed:
        flags.append(f"settings changed during the run (--allow-changed): {', '.join(changed)}")
    flags.extend(str(w) for w in (manifest.model or {}).get("warnings", []))
    return flags


def settle(manifest: Manifest) -> None:
    """Status, missing shards and flags of a manifest whose results are being written."""
    manifest.missing_shards = missing_shards(manifest)
    manifest.status = INCOMPLETE if manifest.missing_shards else COMPLETE
    manifest.flags = run_flags(manifest)
