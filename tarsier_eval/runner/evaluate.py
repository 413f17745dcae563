"""Orchestration of `run` and `merge`: every rank generates its part; rank 0 (or `merge`) scores and writes the run dir."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import task_data_root
from tarsier_eval.data.load import load_samples
from tarsier_eval.data.roots import resolve_data_root
from tarsier_eval.data.sample import LoadResult, Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.protocols import Resolved
from tarsier_eval.registry import MODELS
from tarsier_eval.rundir import INCOMPLETE, Manifest, SampleRow, ScoresFile, TaskEntry, TaskRecord, write_samples
from tarsier_eval.runner import lifecycle
from tarsier_eval.runner.config import RunConfig, task_specs
from tarsier_eval.runner.dist import DistContext, init_from_env
from tarsier_eval.runner.fingerprint import run_fingerprint, task_fingerprint
from tarsier_eval.runner.provenance import new_run_id, now_iso, redact
from tarsier_eval.runner.shards import latest_predictions, read_shard_records
from tarsier_eval.runner.summary import results_table
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction, TaskScores
from tarsier_eval.task import TaskSpec, options_for


class TaskLoads:
    """Each task's samples, loaded once per process: (task data root, LoadResult)."""

    def __init__(self, config: RunConfig):
        self.config = config
        self._loaded: dict[str, tuple[Path, LoadResult]] = {}

    def __call__(self, spec: TaskSpec) -> tuple[Path, LoadResult]:
        if spec.name not in self._loaded:
            root = resolve_data_root(spec, self.config.data_root)
            options = options_for(spec.name, self.config.loader_options)
            self._loaded[spec.name] = task_data_root(spec, root), load_samples(spec, root, self.config.limit, options)
        return self._loaded[spec.name]


def score_loaded(
    spec: TaskSpec, loaded: LoadResult, predictions: dict[str, Prediction], config: RunConfig, judge: Any = None
) -> TaskScores:
    """Score, then add the invalid annotation records as visible errors (never silently dropped)."""
    scores = score_task(spec, loaded.samples, predictions, options=options_for(spec.name, config.score_options),
                        judge=judge, seed=config.seed)  # fmt: skip
    if loaded.issues:
        scores.notes.append(f"{len(loaded.issues)} annotation records could not be used: "
                            + "; ".join(str(i) for i in loaded.issues[:5]))  # fmt: skip
        scores.extra["invalid_records"] = [str(i) for i in loaded.issues]
    return scores


def sample_rows(samples: list[Sample], scores: TaskScores, predictions: dict[str, Prediction],
                loaded: LoadResult) -> list[SampleRow]:  # fmt: skip
    """samples.jsonl rows: one per scored sample, then one error row per annotation record that could not be used."""
    by_id = {s.sample_id: s for s in samples}
    rows = []
    for result in scores.samples:
        sample, pred = by_id.get(result.sample_id), predictions.get(result.sample_id)
        rows.append(SampleRow(
            result.sample_id, scores.task, result.subset, sample.video if sample else None,
            sample.prompt if sample else None, pred.response if pred else None, result.parsed, result.score,
            result.status, result.error or (pred.error if pred else None), result.detail,
        ))  # fmt: skip
    rows.extend(SampleRow(f"{scores.task}@{issue.file}#{issue.pointer}", scores.task, None, None, None, None, None,
                          None, "error", issue.message) for issue in loaded.issues)  # fmt: skip
    return rows


def task_entry(scores: TaskScores) -> TaskEntry:
    return TaskEntry.from_json(scores.to_json())


def has_failures(scores: TaskScores) -> bool:
    counts = scores.counts()
    return bool(
        counts["n_errors"] or counts["n_missing"] or counts["n_judge_failed"] or scores.extra.get("invalid_records")
    )


def finalize(run_dir: Path, config: RunConfig, judge: Any = None) -> int:
    """Score every task from the shard files and write samples.jsonl, scores.json and the final manifest.

    Exit code 1 when samples failed or the run is incomplete (shards that never finished, named)."""
    tasks = task_specs(config)
    loads = TaskLoads(config)
    with lifecycle.locked(run_dir):
        manifest = Manifest.read(run_dir)
        lifecycle.settle(manifest)
    all_scores: list[TaskScores] = []
    rows: list[SampleRow] = []
    for spec, protocol in tasks:
        _, loaded = loads(spec)
        records, problems = read_shard_records(run_dir / "shards" / spec.name)
        for problem in problems:
            print(f"warning: {spec.name}: {problem}", file=sys.stderr)
        predictions = latest_predictions(records)
        started = time.perf_counter()
        scores = score_loaded(spec, loaded, predictions, config, judge)
        scores.protocol = protocol.label
        all_scores.append(scores)
        rows.extend(sample_rows(loaded.samples, scores, predictions, loaded))
        record = manifest.tasks.get(spec.name) or TaskRecord(spec.version, loaded.files)
        record.extra, record.protocol = scores.extra, protocol.label
        record.timings = {"score_s": time.perf_counter() - started}
        manifest.tasks[spec.name] = record
    write_samples(run_dir / "samples.jsonl", rows)
    ScoresFile(run_dir.name, {s.task: task_entry(s) for s in all_scores}).write(run_dir / "scores.json")
    with lifecycle.locked(run_dir):
        current = Manifest.read(run_dir)  # shards may have finished meanwhile: keep their history
        manifest.history = current.history
        lifecycle.settle(manifest)
        manifest.finished = now_iso()
        manifest.judge = judge.usage() if judge is not None and hasattr(judge, "usage") else None
        manifest.write(run_dir)
    index_finished_run(run_dir)
    print(results_table(all_scores))
    print_costs(manifest)
    for flag in manifest.flags:
        print(f"warning: {flag}", file=sys.stderr)
    print(f"run dir: {run_dir} ({manifest.status})")
    return 1 if manifest.status == INCOMPLETE or any(has_failures(s) for s in all_scores) else 0


def print_timings(timings: dict[str, dict[str, float]]) -> None:
    """One line per task: throughput and where the time went (manifest `history[].timings`)."""
    for task, t in timings.items():
        print(f"timing {task}: {t['samples']:g} samples in {t['wall_s']:.1f} s ({t['samples_per_s']:.2f}/s); "
              f"decode {t['prepare_s']:.1f} s over {t['workers']:g} workers, model waited {t['input_wait_s']:.1f} s, "
              f"generate {t['generate_s']:.1f} s; overlap efficiency {t['overlap_efficiency']:.2f} (1.00 = decoding "
              "fully hidden)", file=sys.stderr)  # fmt: skip


def print_costs(manifest: Manifest) -> None:
    for who, usage in (("judge", manifest.judge), ("model", (manifest.model or {}).get("usage"))):
        if usage:
            print(f"{who} cost: {usage.get('calls', 0)} calls, {usage.get('cache_hits', 0)} from the cache, "
                  f"estimated ${usage.get('estimated_usd') or 0:.4f}", file=sys.stderr)  # fmt: skip


def index_finished_run(run_dir: Path) -> None:
    """Add the run to the SQLite index of its results root (the folder above the runs folder)."""
    from tarsier_eval.report.index import index_run

    try:
        index_run(run_dir, run_dir.parent.parent)
    except Exception as exc:  # the run's own files are complete; `tarsier-eval reindex` can rebuild the index
        print(f"warning: could not index {run_dir}: {exc}", file=sys.stderr)


def fingerprint_of(tasks: list[tuple[TaskSpec, Resolved]], loads: TaskLoads, config: RunConfig,
                   backend: Any) -> dict[str, Any]:  # fmt: skip
    """The run fingerprint of this invocation's settings (runner/fingerprint.py)."""
    preprocess = backend.preprocessor({})
    out = {}
    for spec, protocol in tasks:
        video = {**asdict(preprocess.video_settings(spec.video)), "profile": preprocess.media_profile}
        out[spec.name] = {"protocol": protocol.key, **task_fingerprint(spec, loads(spec)[1], config, video)}
    return run_fingerprint(config, backend.describe(), out)


def model_entry(config: RunConfig, backend: Any) -> dict[str, Any]:
    """The manifest's model entry: the backend's description with its (redacted) arguments and, for a backend
    behind an API, its usage and cost."""
    usage = {"usage": backend.usage()} if hasattr(backend, "usage") else {}
    return {**backend.describe(), "args": redact(config.model_args), **usage}


def _open(ctx: DistContext, run_dir: Path, tasks: list[tuple[TaskSpec, Resolved]], loads: TaskLoads,
          config: RunConfig, backend: Any,
          argv: list[str], kind: str, shard: tuple[int, int] | None, allowed: list[str]):  # fmt: skip
    """Create or join the run on the process that owns the manifest; its error stops every rank."""
    invocation, error = None, None
    if ctx.is_main or shard is not None:
        try:
            fingerprint = fingerprint_of(tasks, loads, config, backend)
            world = shard[1] if shard else ctx.world_size
            invocation = lifecycle.begin(run_dir, config, fingerprint, model_entry(config, backend), argv, kind=kind,
                                         shard=shard, world_size=world, allowed=allowed)  # fmt: skip
        except Exception as exc:  # reported to every rank below, so none waits for a run that will not start
            error = exc
    message = ctx.broadcast(str(error) if error else None) if shard is None else None
    if error is not None:
        raise error
    if message:
        raise UsageError(f"rank 0 could not start the run: {message}")
    return invocation


def run(config: RunConfig, argv: list[str], output: Path, *, run_id: str | None = None, resume: Path | None = None,
        shard: tuple[int, int] | None = None, judge_factory: Any = None, allowed: list[str] | None = None) -> int:  # fmt: skip
    """`tarsier-eval run`: every rank generates its part; rank 0 (or `merge`, with --shard) scores."""
    from tarsier_eval.runner.generate import generate_tasks

    tasks = task_specs(config)
    specs = [spec for spec, _ in tasks]
    ctx = init_from_env()
    try:
        if resume is not None:
            run_dir = resume
        else:
            chosen = run_id or (ctx.broadcast(new_run_id(config.model) if ctx.is_main else None))
            run_dir = output / chosen
        kind = "resume" if resume is not None else "shard" if shard is not None else "start"
        loads = TaskLoads(config)
        backend = MODELS.get(config.model)(**config.model_args)  # the weights load once decoding has started
        invocation = _open(ctx, run_dir, tasks, loads, config, backend, argv, kind, shard, allowed or [])
        ctx.barrier()
        timings = generate_tasks(specs, loads, config, backend, run_dir, ctx, shard)
        ctx.barrier()
        if invocation is not None:  # what the backend learnt while generating (served model, load report)
            lifecycle.finish_invocation(run_dir, invocation, model_entry(config, backend), timings)
            print_timings(timings)
        if shard is not None:
            print(f"shard {shard[0]}/{shard[1]} done; when all shards are done: tarsier-eval merge {run_dir}")
            return 0
        if not ctx.is_main:
            return 0
        return finalize(run_dir, config, judge_factory() if judge_factory else None)
    finally:
        ctx.close()
