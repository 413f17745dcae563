"""Decoding starts ahead of the model: the first task's workers before the weights load, the next task's before
the current task's last batch. Real DataLoader worker processes and real decoding of the demo videos."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tarsier_eval.data.sample import Sample
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.registry import get_task
from tarsier_eval.runner.config import RunConfig
from tarsier_eval.runner.dist import DistContext
from tarsier_eval.runner.evaluate import TaskLoads
from tarsier_eval.runner.generate import generate_tasks
from tarsier_eval.runner.shards import read_shard_records
from tarsier_eval.task import VideoSettings

LIMIT = 4


def wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass(frozen=True)
class MarkingPreprocessor:
    """Leaves a file per prepared sample (written in the worker process that prepared it)."""

    marks: Path
    media_profile: str = "qwen2vl"

    def video_settings(self, settings: VideoSettings) -> VideoSettings:
        return settings

    def __call__(self, sample: Sample, frames: np.ndarray | None) -> PreparedInput:
        assert frames is not None and frames.ndim == 4  # really decoded
        (self.marks / f"{sample.task}--{sample.sample_id.replace('/', '_')}").touch()
        return PreparedInput(sample.sample_id, {}, len(frames))


class WaitingBackend:
    """`load` and the last batch of the first task only return once the expected samples have been prepared."""

    name = "waiting"

    def __init__(self, marks: Path, first_task: str, second_task: str):
        self.marks = marks
        self.first_task, self.second_task = first_task, second_task
        self.loaded = False
        self.done: dict[str, int] = {}
        self.events: list[str] = []

    def describe(self) -> dict:
        return {"name": self.name}

    def preprocessor(self, generation: dict) -> MarkingPreprocessor:
        return MarkingPreprocessor(self.marks)

    def prepared(self, task: str) -> int:
        return len(list(self.marks.glob(f"{task}--*")))

    def load(self) -> None:
        wait_for(lambda: self.prepared(self.first_task) > 0, "the first task's workers to prepare a sample")
        self.events.append("loaded")
        self.loaded = True

    def generate(self, batch: list[PreparedInput], generation: dict) -> list[GenerationOutput]:
        assert self.loaded
        task = self.first_task if self.done.get(self.first_task, 0) < LIMIT else self.second_task
        self.done[task] = self.done.get(task, 0) + len(batch)
        if task == self.first_task and self.done[task] == LIMIT:
            wait_for(lambda: self.prepared(self.second_task) > 0, "the next task's workers before the last batch")
            self.events.append(f"last batch of {task}")
        return [GenerationOutput(item.sample_id, "A") for item in batch]


@pytest.mark.slow
def test_decoding_runs_ahead_of_loading_and_of_the_next_task(tmp_path: Path, cache_dir: Path):
    demo = get_task("demo")
    specs = [demo, dataclasses.replace(demo, name="demo_again")]
    config = RunConfig(tasks=[s.name for s in specs], limit=LIMIT, batch_size=2, workers=1)
    marks = tmp_path / "marks"
    marks.mkdir()
    backend = WaitingBackend(marks, "demo", "demo_again")
    first_ids = {s.sample_id for s in TaskLoads(config)(demo)[1].samples}

    started: list[str] = []

    def load(spec):
        started.append(spec.name)
        if spec.name == "demo_again":  # the second task's samples get their own marks
            root, loaded = TaskLoads(config)(demo)
            loaded.samples = [dataclasses.replace(s, task="demo_again") for s in loaded.samples]
            return root, loaded
        return TaskLoads(config)(demo)

    generate_tasks(specs, load, config, backend, tmp_path / "run", DistContext(), None)

    assert started == ["demo", "demo_again"]
    assert backend.events == ["loaded", "last batch of demo"]
    for spec, ids in (("demo", first_ids), ("demo_again", first_ids)):
        records, problems = read_shard_records(tmp_path / "run" / "shards" / spec)
        assert not problems and {r.sample_id for r in records} == ids
        assert all(r.response == "A" and r.num_frames > 0 for r in records)


class FailingStart(Exception):
    pass


class Instant(WaitingBackend):
    """Generates at once; its preprocessor fails for the task named `broken` (the next task cannot start)."""

    def __init__(self, marks: Path, broken: str):
        super().__init__(marks, "demo", broken)
        self.starts = 0

    def load(self) -> None:
        self.loaded = True

    def preprocessor(self, generation: dict) -> MarkingPreprocessor:
        self.starts += 1
        if self.starts > 1:
            raise FailingStart("preprocessor unavailable")
        return super().preprocessor(generation)

    def generate(self, batch, generation):
        return [GenerationOutput(item.sample_id, "A") for item in batch]


def _demo_and(name: str) -> tuple[list, RunConfig]:
    demo = get_task("demo")
    return [demo, dataclasses.replace(demo, name=name)], RunConfig(tasks=["demo", name], limit=LIMIT,
                                                                  batch_size=LIMIT, workers=0)  # fmt: skip


def _load_demo(config: RunConfig, fail_for: str | None = None):
    def load(spec):
        if spec.name == fail_for:
            raise FailingStart("annotation file unreadable")
        return TaskLoads(config)(get_task("demo"))

    return load


def test_a_task_whose_annotations_cannot_load_fails_the_run_before_the_model_loads(tmp_path: Path, cache_dir: Path):
    specs, config = _demo_and("broken")
    backend = Instant(tmp_path, "broken")
    with pytest.raises(FailingStart, match="annotation file unreadable"):
        generate_tasks(specs, _load_demo(config, "broken"), config, backend, tmp_path / "run", DistContext(), None)
    assert not backend.loaded  # every task is planned before any GPU time is spent
    assert read_shard_records(tmp_path / "run" / "shards" / "demo")[0] == []


def test_a_next_task_that_cannot_start_fails_after_the_current_task_is_saved(tmp_path: Path, cache_dir: Path):
    specs, config = _demo_and("broken")
    (tmp_path / "marks").mkdir()
    with pytest.raises(FailingStart, match="preprocessor unavailable"):
        generate_tasks(specs, _load_demo(config), config, Instant(tmp_path / "marks", "broken"), tmp_path / "run",
                       DistContext(), None)  # fmt: skip
    records, _ = read_shard_records(tmp_path / "run" / "shards" / "demo")
    assert len(records) == LIMIT  # the last batch (here: the only one) was generated and written first
