"""Orchestration of `run`, `merge` and `score`: shards per rank, then rank 0 scores and writes the run dir."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import task_data_root
from tarsier_eval.data.load import load_samples
from tarsier_eval.data.sample import LoadResult, Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import MODELS, resolve_tasks
from tarsier_eval.runner import rundir
from tarsier_eval.runner.dist import init_from_env
from tarsier_eval.runner.generate import generate_tasks
from tarsier_eval.runner.shards import latest_predictions, read_shard_records
from tarsier_eval.runner.summary import results_table
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction, TaskScores
from tarsier_eval.task import TaskSpec, options_for

DEFAULT_RESULTS_ROOT = Path("results/runs")
DEFAULT_FRAME_CACHE_BYTES = 50 << 30


@dataclass
class RunConfig:
    """Everything a run needs; stored in the manifest so `--resume` and `merge` can rebuild it."""

    tasks: list[str]
    model: str = "tiny-qwen2vl"
    model_args: dict[str, str] = field(default_factory=dict)
    data_root: str | None = None
    limit: int | None = None
    batch_size: int = 1
    auto_batch: bool = False
    workers: int = 2
    gen_kwargs: dict[str, Any] = field(default_factory=dict)
    score_options: dict[str, Any] = field(default_factory=dict)
    loader_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    frame_cache: str | None = None
    frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES


def resolve_data_root(spec: TaskSpec, data_root: str | None) -> Path:
    """`--data-root`, else $TARSIER_EVAL_DATA_ROOT, else the built-in data of the demo task."""
    chosen = data_root or os.environ.get("TARSIER_EVAL_DATA_ROOT")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_dir():
            raise UsageError(f"data root {path} does not exist")
        return path
    if spec.builtin_data:
        from tarsier_eval.demo import ensure_demo_data

        return ensure_demo_data()
    raise UsageError(f"task {spec.name} needs its data: pass --data-root DIR holding {spec.data_dir}/")


def load_task_samples(spec: TaskSpec, config: RunConfig) -> tuple[Path, LoadResult]:
    root = resolve_data_root(spec, config.data_root)
    return task_data_root(spec, root), load_samples(
        spec, root, config.limit, options_for(spec.name, config.loader_options)
    )


def score_loaded(
    spec: TaskSpec, loaded: LoadResult, predictions: dict[str, Prediction], config: RunConfig, judge: Any = None
) -> TaskScores:
    """Score, then add the invalid annotation records as visible errors (never silently dropped)."""
    scores = score_task(
        spec,
        loaded.samples,
        predictions,
        options=options_for(spec.name, config.score_options),
        judge=judge,
        seed=config.seed,
    )
    if loaded.issues:
        scores.notes.append(
            f"{len(loaded.issues)} annotation records could not be used: "
            + "; ".join(str(i) for i in loaded.issues[:5])
        )
        scores.extra["invalid_records"] = [str(i) for i in loaded.issues]
    return scores


def sample_rows(
    samples: list[Sample], scores: TaskScores, predictions: dict[str, Prediction], loaded: LoadResult
) -> list[dict[str, Any]]:
    by_id = {s.sample_id: s for s in samples}
    rows = []
    for result in scores.samples:
        sample = by_id.get(result.sample_id)
        pred = predictions.get(result.sample_id)
        rows.append({
            "sample_id": result.sample_id, "task": scores.task, "subset": result.subset,
            "video": sample.video if sample else None, "prompt": sample.prompt if sample else None,
            "response": pred.response if pred else None, "parsed": result.parsed, "score": result.score,
            "status": result.status, "error": result.error or (pred.error if pred else None), "detail": result.detail,
        })  # fmt: skip
    rows.extend({"sample_id": f"{scores.task}@{issue.file}#{issue.pointer}", "task": scores.task, "subset": None,
                 "video": None, "prompt": None, "response": None, "parsed": None, "score": None,
                 "status": "error", "error": issue.message, "detail": {}} for issue in loaded.issues)  # fmt: skip
    return rows


def has_failures(scores: TaskScores) -> bool:
    counts = scores.counts()
    return bool(
        counts["n_errors"] or counts["n_missing"] or counts["n_judge_failed"] or scores.extra.get("invalid_records")
    )


def finalize(run_dir: Path, config: RunConfig, judge: Any = None) -> int:
    """Score every task from the shard files and write samples.jsonl, scores.json and the final manifest."""
    specs = resolve_tasks(config.tasks)
    all_scores: list[TaskScores] = []
    rows: list[dict[str, Any]] = []
    manifest = rundir.read_manifest(run_dir)
    task_info: dict[str, Any] = manifest.setdefault("tasks", {})
    for spec in specs:
        _, loaded = load_task_samples(spec, config)
        records, problems = read_shard_records(run_dir / "shards" / spec.name)
        for problem in problems:
            print(f"warning: {spec.name}: {problem}", file=sys.stderr)
        predictions = latest_predictions(records)
        scores = score_loaded(spec, loaded, predictions, config, judge)
        all_scores.append(scores)
        rows.extend(sample_rows(loaded.samples, scores, predictions, loaded))
        task_info[spec.name] = {"version": spec.version, "annotations": loaded.files, "extra": scores.extra}
    rundir.atomic_write_jsonl(run_dir / "samples.jsonl", rows)
    rundir.atomic_write_json(
        run_dir / "scores.json", {"run_id": run_dir.name, "tasks": {s.task: s.to_json() for s in all_scores}}
    )
    failed = any(has_failures(s) for s in all_scores)
    manifest.update(
        {
            "status": "complete",
            "finished": rundir.now_iso(),
            "judge": judge.usage() if judge is not None and hasattr(judge, "usage") else None,
        }
    )
    rundir.atomic_write_json(run_dir / "manifest.json", manifest)
    index_finished_run(run_dir)
    print(results_table(all_scores))
    print(f"run dir: {run_dir}")
    return 1 if failed else 0


def index_finished_run(run_dir: Path) -> None:
    """Add the run to the SQLite index of its results root (the folder above the runs folder)."""
    from tarsier_eval.report.index import index_run

    try:
        index_run(run_dir, run_dir.parent.parent)
    except Exception as exc:  # the run's own files are complete; `tarsier-eval reindex` can rebuild the index
        print(f"warning: could not index {run_dir}: {exc}", file=sys.stderr)


def model_entry(config: RunConfig, backend: Any) -> dict[str, Any]:
    return {**backend.describe(), "args": rundir.redact(config.model_args)}


def update_model_entry(run_dir: Path, config: RunConfig, backend: Any) -> None:
    """The manifest's model entry again after generating, with what the backend learnt meanwhile (the model an
    endpoint answered as; the load report of a checkpoint that could only be checked once loaded)."""
    manifest = rundir.read_manifest(run_dir)
    manifest["model"] = model_entry(config, backend)
    rundir.atomic_write_json(run_dir / "manifest.json", manifest)


def start_manifest(run_dir: Path, config: RunConfig, argv: list[str], backend: Any, world: int) -> None:
    existing = rundir.read_manifest(run_dir)
    rundir.atomic_write_json(run_dir / "manifest.json", {
        "run_id": run_dir.name, "created": existing.get("created", rundir.now_iso()),
        "command": [a if not rundir.SECRET_KEY.search(a) else "<redacted>" for a in argv],
        "config": {**asdict(config), "model_args": rundir.redact(config.model_args)},
        "git_sha": rundir.git_sha(), "packages": rundir.package_versions(),
        "model": model_entry(config, backend),
        "tasks": existing.get("tasks", {}), "world_size": world, "status": "running", "judge": None,
        "resumed_from_previous": bool(existing),
    })  # fmt: skip


def run(
    config: RunConfig,
    argv: list[str],
    output: Path,
    run_id: str | None = None,
    resume: Path | None = None,
    shard: tuple[int, int] | None = None,
    judge_factory: Any = None,
) -> int:
    """`tarsier-eval run`: every rank generates its part; rank 0 (or `merge`, with --shard) scores."""
    specs = resolve_tasks(config.tasks)
    ctx = init_from_env()
    try:
        if resume is not None:
            run_dir = resume
        else:
            chosen = run_id or (ctx.broadcast(rundir.new_run_id(config.model) if ctx.is_main else None))
            run_dir = output / chosen
        backend = MODELS.get(config.model)(**config.model_args)  # the weights load once decoding has started
        if ctx.is_main and shard is None:
            start_manifest(run_dir, config, argv, backend, ctx.world_size)
        elif shard is not None and shard[0] == 0:
            start_manifest(run_dir, config, argv, backend, shard[1])
        ctx.barrier()
        generate_tasks(specs, lambda spec: load_task_samples(spec, config), config, backend, run_dir, ctx, shard)
        if (ctx.is_main and shard is None) or (shard is not None and shard[0] == 0):
            update_model_entry(run_dir, config, backend)
        ctx.barrier()
        if shard is not None:
            print(f"shard {shard[0]}/{shard[1]} done; when all shards are done: tarsier-eval merge {run_dir}")
            return 0
        if not ctx.is_main:
            return 0
        return finalize(run_dir, config, judge_factory() if judge_factory else None)
    finally:
        ctx.close()
