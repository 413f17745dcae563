"""One rank's generation over a run's tasks, with each task's inputs decoding before the model needs them.

The first task's DataLoader workers start before the model's weights load; each next task's start while the
current task's last batches generate. Every output is appended to the rank's shard file as it comes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from tarsier_eval.data.sample import LoadResult, Sample
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.rundir import ShardRecord
from tarsier_eval.runner.dist import DistContext, share_cores
from tarsier_eval.runner.pipeline import BatchGenerator, SampleDataset, prepared_stream, run_generation
from tarsier_eval.runner.plan import shard_plan
from tarsier_eval.runner.shards import ShardWriter, finished_ids, read_shard_records
from tarsier_eval.task import TaskSpec
from tarsier_eval.video.frame_cache import FrameCache

LoadTask = Callable[[TaskSpec], tuple[Path, LoadResult]]


@dataclass
class TaskPlan:
    """This rank's (or this `--shard`'s) part of one task: the samples still to do, and how many were done."""

    spec: TaskSpec
    task_root: Path
    samples: list[Sample]
    done: int
    index: int
    world: int


@dataclass
class TaskJob:
    """A planned task whose inputs are already being prepared."""

    plan: TaskPlan
    shard_file: Path
    label: str
    stream: Iterator[PreparedInput]
    generator: BatchGenerator
    cache: FrameCache | None
    workers: int


def plan_task(
    spec: TaskSpec, load: LoadTask, run_dir: Path, ctx: DistContext, shard: tuple[int, int] | None
) -> TaskPlan:
    """This rank's samples of `spec` still to generate (finished ones, from any earlier launch, are skipped)."""
    task_root, loaded = load(spec)
    shard_dir = run_dir / "shards" / spec.name
    if shard is None:
        done = ctx.broadcast(finished_ids(read_shard_records(shard_dir)[0]) if ctx.is_main else None)
        todo = [s for s in loaded.samples if s.sample_id not in done]
        mine = shard_plan(todo, ctx.world_size, spec.video.num_frames)[ctx.rank]
        return TaskPlan(spec, task_root, mine, len(loaded.samples) - len(todo), ctx.rank, ctx.world_size)
    index, world = shard  # independent processes: plan over all samples so every shard agrees without talking
    part = shard_plan(loaded.samples, world, spec.video.num_frames)[index]
    done = finished_ids(read_shard_records(shard_dir)[0])
    mine = [s for s in part if s.sample_id not in done]
    return TaskPlan(spec, task_root, mine, len(part) - len(mine), index, world)


def start_task(plan: TaskPlan, config: Any, backend: Any, run_dir: Path) -> TaskJob:
    """Start the plan's DataLoader workers (decoding begins now)."""
    spec = plan.spec
    generation = {**spec.generation, **config.gen_kwargs}
    preprocess = backend.preprocessor(generation)
    cache = FrameCache(Path(config.frame_cache), config.frame_cache_bytes) if config.frame_cache else None
    dataset = SampleDataset(plan.samples, plan.task_root, preprocess.video_settings(spec.video), preprocess, cache)
    workers = config.workers if len(plan.samples) > 1 else 0
    return TaskJob(
        plan, run_dir / "shards" / spec.name / f"rank{plan.index}-of{plan.world}.jsonl",
        f"{spec.name} [rank {plan.index}/{plan.world}]", prepared_stream(dataset, workers),
        BatchGenerator(backend, generation, config.batch_size, config.auto_batch), cache, workers,
    )  # fmt: skip


def _shard_records(outputs: list[GenerationOutput], inputs: list[PreparedInput]) -> list[ShardRecord]:
    frames = {item.sample_id: item.num_frames for item in inputs}
    return [ShardRecord(out.sample_id, out.response, out.error, frames.get(out.sample_id, 0)) for out in outputs]


def timing_summary(timings: dict[str, float]) -> dict[str, float]:
    """Samples/s and the overlap efficiency: wall time over what it could not be shorter than (decoding spread over
    the workers, or generating, whichever is longer); 1.0 means decoding was fully hidden behind generation."""
    wall, n = timings["wall_s"], timings["samples"]
    bound = max(timings["prepare_s"] / max(timings["workers"], 1), timings["generate_s"])
    return {**timings, "samples_per_s": n / wall if wall else 0.0, "overlap_efficiency": wall / bound if bound else 1.0}


def finish_task(job: TaskJob, ctx: DistContext, on_inputs_done: Callable[[], None]) -> dict[str, float]:
    """Generate the job's samples into its shard file; `on_inputs_done` runs once its last input is prepared.
    Returns the task's timings (manifest `history[].timings`)."""
    samples = job.plan.samples
    bar = tqdm(total=len(samples), desc=job.label, unit="sample", position=ctx.rank, disable=not ctx.is_main,
               mininterval=1.0, file=sys.stderr)  # fmt: skip
    reused, prepare = 0, 0.0
    start = time.perf_counter()
    with ShardWriter(job.shard_file) as writer:

        def on_outputs(outputs: list[GenerationOutput], inputs: list[PreparedInput]) -> None:
            nonlocal reused, prepare
            writer.write(_shard_records(outputs, inputs))
            reused += sum(item.frames_cached for item in inputs)
            prepare += sum(item.prepare_s for item in inputs)
            bar.update(len(outputs))

        waits = run_generation(job.stream, job.generator, on_outputs, on_inputs_done, total=len(samples))
    bar.close()
    if job.cache is not None:
        print(f"{job.label}: frame cache: {reused} of {len(samples)} samples' frames reused from "
              f"{job.cache.root}", file=sys.stderr)  # fmt: skip
    timings = {"samples": len(samples), "workers": job.workers, "wall_s": time.perf_counter() - start,
               "prepare_s": prepare, **waits}  # fmt: skip
    return timing_summary(timings)


class StartAhead:
    """Called when the current task's inputs are all prepared: starts the next job. An error is kept and raised
    by `job()`, after the current task's last outputs are written."""

    def __init__(self, start: Callable[[], TaskJob] | None):
        self.start = start
        self.started: TaskJob | None = None
        self.error: Exception | None = None

    def __call__(self) -> None:
        if self.start is None:
            return
        try:
            self.started = self.start()
        except Exception as exc:
            self.error = exc

    def job(self) -> TaskJob | None:
        if self.error is not None:
            raise self.error
        return self.started


def generate_tasks(
    specs: list[TaskSpec], load: LoadTask, config: Any, backend: Any, run_dir: Path, ctx: DistContext,
    shard: tuple[int, int] | None,
) -> dict[str, dict[str, float]]:  # fmt: skip
    """Every task's part on this rank, in order; inputs of the next task are prepared ahead (see module doc).
    Returns each task's timings. The model is not loaded when nothing is left to generate."""
    plans = [plan_task(spec, load, run_dir, ctx, shard) for spec in specs]
    if ctx.is_main:
        for plan in plans:
            if plan.done:
                print(f"{plan.spec.name}: {plan.done} samples already done, {len(plan.samples)} to go "
                      f"(this rank/part)", file=sys.stderr)  # fmt: skip
    todo = [plan for plan in plans if plan.samples]
    if not todo:
        if ctx.is_main:
            print("nothing left to generate: the model is not loaded", file=sys.stderr)
        return {}
    job: TaskJob | None = start_task(todo[0], config, backend, run_dir)
    share_cores(config.workers)
    backend.load()
    timings: dict[str, dict[str, float]] = {}
    for following in [*todo[1:], None]:
        assert job is not None
        ahead = StartAhead(partial(start_task, following, config, backend, run_dir) if following else None)
        timings[job.plan.spec.name] = finish_task(job, ctx, ahead)
        job = ahead.job()
    return timings
