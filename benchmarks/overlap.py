"""Is video decoding hidden behind generation? Wall time of the real pipeline vs its lower bound.

The model is the tiny checkpoint's real preprocessor with a generate step made to take a fixed time per batch.
Bound = max(total decode+preprocess time / workers, total model time). Goal: wall within 10% of the bound.
Also printed: the same run against max(wall of the workers decoding alone, model time), which is what the
machine allows when K workers do not run K times as fast as one (shared or hyper-threaded vCPUs).
`--load-seconds S`: a model load of S seconds after the workers start, as the runner orders them (model time
then includes S): the pipeline fill (first batch) is hidden behind it.
Run: `.venv/bin/python benchmarks/overlap.py [--samples 64] [--workers 1] [--model-seconds 0.15] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from tarsier_eval.data.sample import Media, Sample, SourceRef
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.models.tarsier2 import Qwen2VLPreprocessor
from tarsier_eval.models.tiny import build_processor
from tarsier_eval.runner.pipeline import BatchGenerator, SampleDataset, prepared_stream, run_generation
from tarsier_eval.task import VideoSettings
from tarsier_eval.video.synthetic import write_test_video


class FixedTimeBackend:
    """Stands in for the model: a fixed sleep per generate call."""

    name = "fixed-time"

    def __init__(self, seconds: float):
        self.seconds = seconds

    def generate(self, batch: list[PreparedInput], generation: dict) -> list[GenerationOutput]:
        time.sleep(self.seconds)
        return [GenerationOutput(item.sample_id, "A") for item in batch]


def make_samples(root: Path, count: int) -> list[Sample]:
    samples = []
    for i in range(count):
        write_test_video(root / f"v{i}.mp4", seed=i, num_frames=120, size=480, fps=24)
        samples.append(Sample(f"b/{i}", "bench", "all", Media(f"v{i}.mp4"), "Describe the video.", None,
                              SourceRef("none", f"/{i}")))  # fmt: skip
    return samples


def default_workers() -> int:
    """One core stays with the main process (on a GPU box it drives the GPU): min(2, cores - 1), at least 1."""
    return max(1, min(2, (os.cpu_count() or 2) - 1))


def measure(dataset: SampleDataset, args: argparse.Namespace) -> dict[str, float]:
    """Serial decode time, the workers' decode-only wall, and a run's wall with the fixed-time model."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a DataLoader worker, so decode/workers is a fair bound
    start = time.perf_counter()
    for index in range(len(dataset)):
        assert dataset[index].error is None, dataset[index].error
    serial = time.perf_counter() - start
    torch.set_num_threads(threads)
    start = time.perf_counter()
    for _ in prepared_stream(dataset, args.workers):
        pass
    workers_alone = time.perf_counter() - start
    batches = -(-len(dataset) // args.batch_size)
    per_batch = args.model_seconds or 1.25 * serial / args.workers / batches
    generator = BatchGenerator(FixedTimeBackend(per_batch), {}, args.batch_size, auto=False)
    start = time.perf_counter()
    stream = prepared_stream(dataset, args.workers)  # the workers start decoding here
    time.sleep(args.load_seconds)  # stands in for the weights loading, which the runner does after that
    timing = run_generation(stream, generator, lambda outputs, inputs: None)
    wall = time.perf_counter() - start
    model = args.load_seconds + per_batch * batches
    return {"serial": serial, "workers_alone": workers_alone, "model": model, "wall": wall,
            "waited": timing["input_wait_s"], "ratio": wall / max(serial / args.workers, model),
            "ratio_machine": wall / max(workers_alone, model)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--workers", type=int, default=default_workers(), help="default: min(2, cores - 1)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument(
        "--model-seconds",
        type=float,
        default=None,
        help="per batch; default: 1.25x the decoding time per batch per worker (model-bound)",
    )
    parser.add_argument("--pixel-dtype", default="bfloat16", help="dtype pixels cross to the model in (bf16 on GPU)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median ratio is the result")
    parser.add_argument(
        "--load-seconds", type=float, default=0.0, help="model loading after the workers start (counted as model time)"
    )
    args = parser.parse_args()

    settings = VideoSettings(num_frames=16, sampling="segment_midpoint", max_pixels=460_800)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = make_samples(root, args.samples)
        preprocess = Qwen2VLPreprocessor(build_processor(), pixel_dtype=getattr(torch, args.pixel_dtype))
        dataset = SampleDataset(samples, root, settings, preprocess)
        print(f"samples={args.samples} workers={args.workers} batch={args.batch_size} pixels={args.pixel_dtype} "
              f"load={args.load_seconds}s cores={os.cpu_count()}")  # fmt: skip
        for index in range(args.repeat):
            r = measure(dataset, args)
            rounds.append(r)
            print(f"round {index + 1}: decode+preprocess serial {r['serial']:.2f}s (workers alone "
                  f"{r['workers_alone']:.2f}s, x{r['serial'] / r['workers_alone']:.2f})  model {r['model']:.2f}s  "
                  f"wall {r['wall']:.2f}s  waited {r['waited']:.2f}s  wall/bound {r['ratio']:.3f}  "
                  f"wall/machine bound {r['ratio_machine']:.3f}")  # fmt: skip
    ratio = statistics.median(r["ratio"] for r in rounds)
    machine = statistics.median(r["ratio_machine"] for r in rounds)
    print(f"median wall / max(decode/workers, model): {ratio:.3f}")
    print(f"median wall / max(workers decoding alone, model): {machine:.3f}")
    print("goal: ratio <= 1.10 -> " + ("MET" if ratio <= 1.10 else "NOT MET"))


if __name__ == "__main__":
    main()
