"""Decode→preprocess in DataLoader workers, overlapped with batched generation in the main process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader, Dataset

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import DataError
from tarsier_eval.models.base import GenerationOutput, ModelBackend, PreparedInput, Preprocessor
from tarsier_eval.task import VideoSettings
from tarsier_eval.video.frame_cache import FrameCache
from tarsier_eval.video.media import load_media_cached


@dataclass
class SampleDataset(Dataset):
    """Item i = the prepared input of samples[i], or a PreparedInput carrying the error that stopped it."""

    samples: list[Sample]
    task_root: Path
    settings: VideoSettings
    preprocess: Preprocessor
    frame_cache: FrameCache | None = None

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> PreparedInput:
        sample = self.samples[index]
        started = time.perf_counter()
        prepared = self._prepare(sample)
        prepared.prepare_s = time.perf_counter() - started
        return prepared

    def _prepare(self, sample: Sample) -> PreparedInput:
        try:
            frames, cached = None, False
            if sample.media.kind != "none":  # text-only samples have no frames
                frames, cached = load_media_cached(self.task_root, sample.media, self.settings,
                                                   profile=self.preprocess.media_profile, cache=self.frame_cache)  # fmt: skip
            prepared = self.preprocess(sample, frames)
            prepared.frames_cached = cached
            return prepared
        except DataError as exc:
            return PreparedInput(sample.sample_id, {}, error=str(exc))
        except Exception as exc:  # a bug or a processor failure on one sample must not stop the run
            return PreparedInput(sample.sample_id, {}, error=f"preprocessing failed: {type(exc).__name__}: {exc}")


def _first(items: list[PreparedInput]) -> PreparedInput:
    return items[0]


def prepared_stream(dataset: SampleDataset, workers: int, prefetch: int = 4) -> Iterator[PreparedInput]:
    """The dataset's items in order; with workers, they start preparing now (before the first `next`)."""
    loader = DataLoader(
        dataset, batch_size=1, shuffle=False, num_workers=workers, collate_fn=_first,
        prefetch_factor=prefetch if workers > 0 else None, persistent_workers=False,
    )  # fmt: skip
    return iter(loader)


def is_oom(exc: BaseException) -> bool:
    return "out of memory" in str(exc).lower() or type(exc).__name__ == "OutOfMemoryError"


class BatchGenerator:
    """Generates in batches of `batch_size`; with `auto`, a batch that runs out of memory is split in half and the
    smaller size is kept for the rest of the run (the largest batch that fits)."""

    def __init__(self, backend: ModelBackend, generation: dict[str, Any], batch_size: int, auto: bool):
        self.backend = backend
        self.generation = generation
        self.batch_size = batch_size
        self.auto = auto

    def __call__(self, batch: list[PreparedInput]) -> list[GenerationOutput]:
        try:
            return self.backend.generate(batch, self.generation)
        except Exception as exc:
            if self.auto and is_oom(exc) and len(batch) > 1:
                _free_cuda_cache()
                self.batch_size = max(1, min(self.batch_size, len(batch) // 2))
                outputs: list[GenerationOutput] = []
                while len(outputs) < len(batch):  # the size may shrink again inside
                    outputs.extend(self(batch[len(outputs) : len(outputs) + self.batch_size]))
                return outputs
            if len(batch) > 1:  # isolate the failing sample instead of failing the whole batch
                return [out for item in batch for out in self([item])]
            return [GenerationOutput(batch[0].sample_id, None, f"generation failed: {type(exc).__name__}: {exc}")]


def _free_cuda_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def run_generation(
    stream: Iterator[PreparedInput],
    generate: BatchGenerator,
    on_outputs: Callable[[list[GenerationOutput], list[PreparedInput]], None],
    on_inputs_done: Callable[[], None] | None = None,
    total: int | None = None,
) -> dict[str, float]:
    """Feed the stream to the model batch by batch; failed preprocessing goes straight to `on_outputs` as errors.
    `on_inputs_done` runs once, as soon as the `total`-th input has arrived (else when the stream ends), before
    the last batch generates: the next task's decoding starts then.

    Returns timing: seconds spent waiting for inputs vs generating (overlap diagnostics)."""
    pending: list[PreparedInput] = []
    wait = model = 0.0
    mark = time.perf_counter()

    def flush() -> None:
        nonlocal model
        start = time.perf_counter()
        outputs = generate(pending)
        model += time.perf_counter() - start
        on_outputs(outputs, list(pending))
        pending.clear()

    for received, item in enumerate(stream, 1):
        wait += time.perf_counter() - mark
        if received == total and on_inputs_done is not None:
            on_inputs_done()
            on_inputs_done = None
        if item.error is not None:
            on_outputs([GenerationOutput(item.sample_id, None, item.error)], [item])
        else:
            pending.append(item)
            if len(pending) >= generate.batch_size:
                flush()
        mark = time.perf_counter()
    if on_inputs_done is not None:
        on_inputs_done()
    if pending:
        flush()
    return {"input_wait_s": wait, "generate_s": model}
