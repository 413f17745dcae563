"""`tarsier-eval score` and `tarsier_eval.api.score`: score predictions made anywhere, writing the same files as a
run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tarsier_eval.data.sample import LoadResult
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import get_task
from tarsier_eval.rundir import COMPLETE, Invocation, Manifest, SampleRow, ScoresFile, TaskRecord, write_samples
from tarsier_eval.runner.config import RunConfig, task_specs
from tarsier_eval.runner.evaluate import TaskLoads, has_failures, sample_rows, score_loaded, task_entry
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.runner.provenance import git_sha, now_iso, package_versions, redact_argv
from tarsier_eval.runner.summary import results_table
from tarsier_eval.scoring.types import Prediction, TaskScores
from tarsier_eval.task import TaskSpec


@dataclass
class ScoreOutcome:
    """One task scored from predictions: its scores, the samples.jsonl rows and what was loaded."""

    spec: TaskSpec
    config: RunConfig
    scores: TaskScores
    rows: list[SampleRow]
    loaded: LoadResult

    @property
    def failed(self) -> bool:
        """Sample errors, missing predictions, failed judging or unusable records (exit code 1)."""
        return has_failures(self.scores)


def score_task_predictions(
    task: str, predictions: dict[str, Prediction], *, data_root: str | None, options: dict[str, Any],
    seed: int = 0, judge: Any = None, loader_options: dict[str, Any] | None = None, protocol: str | None = None,
) -> ScoreOutcome:  # fmt: skip
    """Load the task, score the predictions, note the ones that name no sample."""
    if not get_task(task).implemented:
        raise UsageError(f"task '{task}' is planned, not implemented yet")
    config = RunConfig(tasks=[task], data_root=data_root, score_options=options, seed=seed,
                       loader_options=loader_options or {}, protocol=protocol)  # fmt: skip
    ((spec, resolved),) = task_specs(config)
    _, loaded = TaskLoads(config)(spec)
    unknown = set(predictions) - {s.sample_id for s in loaded.samples}
    scores = score_loaded(spec, loaded, predictions, config, judge)
    scores.protocol = resolved.label
    if unknown:
        scores.notes.append(
            f"{len(unknown)} predictions name no sample of {spec.name} and were ignored, e.g. {sorted(unknown)[:3]}"
        )
    return ScoreOutcome(spec, config, scores, sample_rows(loaded.samples, scores, predictions, loaded), loaded)


def write_score_dir(output: Path, outcome: ScoreOutcome, command: list[str], source: str, judge: Any = None) -> None:
    """scores.json, samples.jsonl and manifest.json of a scored task in `output` (the run-dir contract)."""
    spec, config, scores = outcome.spec, outcome.config, outcome.scores
    ScoresFile(output.name, {spec.name: task_entry(scores)}).write(output / "scores.json")
    write_samples(output / "samples.jsonl", outcome.rows)
    at = now_iso()
    Manifest(
        run_id=output.name, created=at, command=command,
        config={"tasks": [spec.name], "score_options": config.score_options, "loader_options": config.loader_options,
                "seed": config.seed, "data_root": config.data_root, "predictions": source, "protocol": config.protocol},
        tasks={spec.name: TaskRecord(spec.version, outcome.loaded.files, scores.protocol, extra=scores.extra)},
        git_sha=git_sha(), packages=package_versions(), status=COMPLETE,
        history=[Invocation("score", command, at, finished=at)],
        judge=judge.usage() if hasattr(judge, "usage") else None, finished=at,
    ).write(output)  # fmt: skip


def score_predictions(
    task: str, predictions_path: Path, output: Path | None, *, data_root: str | None, options: dict[str, Any],
    seed: int, judge: Any = None, loader_options: dict[str, Any] | None = None, on_duplicate: str = "error",
    argv: list[str] | None = None, protocol: str | None = None, notes: list[str] | None = None,
) -> int:  # fmt: skip
    """`tarsier-eval score`: the exit code (1 when samples failed)."""
    predictions = read_predictions(predictions_path, on_duplicate)
    outcome = score_task_predictions(task, predictions, data_root=data_root, options=options, seed=seed, judge=judge,
                                     loader_options=loader_options, protocol=protocol)  # fmt: skip
    outcome.scores.notes.extend(notes or [])
    print(results_table([outcome.scores]))
    if output is not None:
        command = redact_argv(argv or ["score", "--task", task, "--predictions", str(predictions_path)])
        write_score_dir(output, outcome, command, str(predictions_path), judge)
        print(f"wrote {output}/scores.json")
    return 1 if outcome.failed else 0
