"""`tarsier-eval score`: score predictions made anywhere, writing the same files as a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tarsier_eval.errors import UsageError
from tarsier_eval.registry import get_task
from tarsier_eval.rundir import COMPLETE, Invocation, Manifest, ScoresFile, TaskRecord, write_samples
from tarsier_eval.runner.config import RunConfig
from tarsier_eval.runner.evaluate import TaskLoads, has_failures, sample_rows, score_loaded, task_entry
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.runner.provenance import git_sha, now_iso, package_versions, redact_argv
from tarsier_eval.runner.summary import results_table


def score_predictions(
    task: str, predictions_path: Path, output: Path | None, *, data_root: str | None, options: dict[str, Any],
    seed: int, judge: Any = None, loader_options: dict[str, Any] | None = None, on_duplicate: str = "error",
    argv: list[str] | None = None, notes: list[str] | None = None,
) -> int:  # fmt: skip
    spec = get_task(task)
    if not spec.implemented:
        raise UsageError(f"task '{spec.name}' is planned, not implemented yet")
    config = RunConfig(tasks=[spec.name], data_root=data_root, score_options=options, seed=seed,
                       loader_options=loader_options or {})  # fmt: skip
    _, loaded = TaskLoads(config)(spec)
    predictions = read_predictions(predictions_path, on_duplicate)
    unknown = set(predictions) - {s.sample_id for s in loaded.samples}
    scores = score_loaded(spec, loaded, predictions, config, judge)
    if unknown:
        scores.notes.append(
            f"{len(unknown)} predictions name no sample of {spec.name} and were ignored, e.g. {sorted(unknown)[:3]}"
        )
    scores.notes.extend(notes or [])
    print(results_table([scores]))
    if output is not None:
        ScoresFile(output.name, {spec.name: task_entry(scores)}).write(output / "scores.json")
        write_samples(output / "samples.jsonl", sample_rows(loaded.samples, scores, predictions, loaded))
        command = redact_argv(argv or ["score", "--task", task, "--predictions", str(predictions_path)])
        at = now_iso()
        Manifest(
            run_id=output.name, created=at, command=command,
            config={"tasks": [spec.name], "score_options": options, "loader_options": loader_options or {},
                    "seed": seed, "data_root": data_root, "predictions": str(predictions_path)},
            tasks={spec.name: TaskRecord(spec.version, loaded.files, extra=scores.extra)},
            git_sha=git_sha(), packages=package_versions(), status=COMPLETE,
            history=[Invocation("score", command, at, finished=at)],
            judge=judge.usage() if hasattr(judge, "usage") else None, finished=at,
        ).write(output)  # fmt: skip
        print(f"wrote {output}/scores.json")
    return 1 if has_failures(scores) else 0
