"""One rank's generation over a run's tasks, with each task's inputs decoding before the model needs them.

The first task's DataLoader workers start before the model's weights load; each next task's start while the
current task's last batches generate. Every output is appended to the rank's shard file as it comes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from tarsier_eval.data.sample import LoadResult, Sample
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.rundir import ShardRecord
from tarsier_eval.runner.dist import DistContext
from tarsier_eval.runner.pipeline import BatchGenerator, SampleDataset, prepared_stream, run_generation
from tarsier_eval.runner.plan import shard_plan
from tarsier_eval.runner.shards import ShardWriter, finished_ids, read_shard_records
from tarsier_eval.task import TaskSpec
from tarsier_eval.video.frame_cache import FrameCache

LoadTask = Callable[[TaskSpec], tuple[Path, LoadResult]]


@dataclass
class TaskJob:
    """This rank's (or this `--shard`'s) part of one task, its inputs already being prepared."""

    samples: list[Sample]
    shard_file: Path
    label: str
    stream: Iterator[PreparedInput]
    generator: BatchGenerator
    cache: FrameCache | None


def my_samples(
    spec: TaskSpec, loaded: LoadResult, shard_dir: Path, ctx: DistContext, shard: tuple[int, int] | None
) -> tuple[list[Sample], int, int]:
    """(samples still to do here, part index, number of parts)."""
    if shard is None:
        done = ctx.broadcast(finished_ids(read_shard_records(shard_dir)[0]) if ctx.is_main else None)
        todo = [s for s in loaded.samples if s.sample_id not in done]
        return shard_plan(todo, ctx.world_size, spec.video.num_frames)[ctx.rank], ctx.rank, ctx.world_size
    index, world = shard  # independent processes: plan over all samples so every shard agrees without talking
    done = finished_ids(read_shard_records(shard_dir)[0])
    mine = [s for s in shard_plan(loaded.samples, world, spec.video.num_frames)[index] if s.sample_id not in done]
    return mine, index, world


def start_task(
    spec: TaskSpec, load: LoadTask, config: Any, backend: Any, run_dir: Path, ctx: DistContext,
    shard: tuple[int, int] | None,
) -> TaskJob:  # fmt: skip
    """Plan this rank's samples and start their DataLoader workers (decoding begins now)."""
    task_root, loaded = load(spec)
    shard_dir = run_dir / "shards" / spec.name
    mine, index, world = my_samples(spec, loaded, shard_dir, ctx, shard)
    generation = {**spec.generation, **config.gen_kwargs}
    preprocess = backend.preprocessor(generation)
    cache = FrameCache(Path(config.frame_cache), config.frame_cache_bytes) if config.frame_cache else None
    dataset = SampleDataset(mine, task_root, preprocess.video_settings(spec.video), preprocess, cache)
    workers = config.workers if len(mine) > 1 else 0
    return TaskJob(
        mine, shard_dir / f"rank{index}-of{world}.jsonl", f"{spec.name} [rank {index}/{world}]",
        prepared_stream(dataset, workers), BatchGenerator(backend, generation, config.batch_size, config.auto_batch),
        cache,
    )  # fmt: skip


def _shard_records(outputs: list[GenerationOutput], inputs: list[PreparedInput]) -> list[ShardRecord]:
    frames = {item.sample_id: item.num_frames for item in inputs}
    return [ShardRecord(out.sample_id, out.response, out.error, frames.get(out.sample_id, 0)) for out in outputs]


def finish_task(job: TaskJob, ctx: DistContext, on_inputs_done: Callable[[], None]) -> None:
    """Generate the job's samples into its shard file; `on_inputs_done` runs once its last input is prepared."""
    bar = tqdm(total=len(job.samples), desc=job.label, unit="sample", position=ctx.rank,
               disable=None if ctx.is_main else True, file=sys.stderr)  # fmt: skip
    reused = 0
    with ShardWriter(job.shard_file) as writer:

        def on_outputs(outputs: list[GenerationOutput], inputs: list[PreparedInput]) -> None:
            nonlocal reused
            writer.write(_shard_records(outputs, inputs))
            reused += sum(item.frames_cached for item in inputs)
            bar.update(len(outputs))

        run_generation(job.stream, job.generator, on_outputs, on_inputs_done, total=len(job.samples))
    bar.close()
    if job.cache is not None:
        print(f"{job.label}: frame cache: {reused} of {len(job.samples)} samples' frames reused from "
              f"{job.cache.root}", file=sys.stderr)  # fmt: skip


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
) -> None:  # fmt: skip
    """Every task's part on this rank, in order; inputs of the next task are prepared ahead (see module doc)."""

    def start(spec: TaskSpec) -> TaskJob:
        return start_task(spec, load, config, backend, run_dir, ctx, shard)

    job: TaskJob | None = start(specs[0]) if specs else None
    backend.load()
    for following in [*specs[1:], None]:
        if job is None:
            return
        ahead = StartAhead(partial(start, following) if following is not None else None)
        finish_task(job, ctx, ahead)
        job = ahead.job()
