"""Wall and CPU time of tarsier_eval.video.load_media vs qwen_vl_utils.fetch_video on web-like H.264 clips.

Writes realistic clips into --workdir once (x264 preset medium, crf 23, B-frames, a keyframe every 5-7 s, a cut
at each keyframe, sub-pixel camera motion, texture and grain; 640x360 and 1280x720, 10 s and 60 s at 30 fps),
then for each clip and frame count (16, 32, 128, 256 uniform frames; max_pixels 460,800) runs both pipelines once
untimed (torch start-up, page cache, and the frame comparison), then --repeat timed rounds with the pipelines
interleaved (order alternating per round, so a burst of load from other jobs hits both). Per row it prints the
median wall and CPU seconds (all threads of the process) of each, the ratios fetch_video / ours (goal: wall
>= 1.3x on every row) and whether the frames are identical to fetch_video's.

Ours runs as in a process that decodes alone (`decode_threads()`: all the cores of this machine), fetch_video
with decord's default threads, as it picks without torchcodec.

    PYTHONPATH=. python benchmarks/decode.py [--workdir /tmp/tarsier_eval_bench] [--repeat 5] [--frames 16 256]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import tarsier_eval
from tarsier_eval.data.sample import Media
from tarsier_eval.task import VideoSettings
from tarsier_eval.video import DecordBackend, PyAVBackend, load_media
from tarsier_eval.video.decode import decode_threads
from tarsier_eval.video.synthetic import write_realistic_video

CLIPS = [(360, 640, 10), (360, 640, 60), (720, 1280, 10), (720, 1280, 60)]  # height, width, seconds (30 fps)
FRAMES = (16, 32, 128, 256)
MAX_PIXELS = 460_800
GOAL = 1.3
REFERENCE = "fetch_video"


def clip_path(workdir: Path, height: int, width: int, seconds: int) -> Path:
    path = workdir / f"web_{height}p_{seconds}s.mp4"
    if not path.exists():
        start = time.perf_counter()
        write_realistic_video(path, seconds, height, width, seed=seconds + height)
        print(f"wrote {path.name} in {time.perf_counter() - start:.0f} s")
    return path


def reference(path: Path, settings: VideoSettings) -> np.ndarray:
    """qwen_vl_utils.fetch_video with the same settings, as (T, H, W, 3) uint8 (its floats are whole numbers)."""
    from qwen_vl_utils import fetch_video

    ele = {"video": str(path), "max_pixels": settings.max_pixels, "min_pixels": settings.min_pixels}
    video = fetch_video({**ele, "nframes": settings.num_frames})
    return video.round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def timed(fn) -> tuple[float, float, np.ndarray]:
    """(wall seconds, CPU seconds of the process over all threads, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def compare(ours: np.ndarray, ref: np.ndarray) -> str:
    if ours.shape != ref.shape:
        return f"DIFFERENT shape {ours.shape} vs {ref.shape}"
    if np.array_equal(ours, ref):
        return "identical"
    diff = np.abs(ours.astype(int) - ref.astype(int))
    return f"DIFFERENT: {np.count_nonzero(diff)} values differ, max {diff.max()}"


def measure_row(path: Path, frames: int, pipelines: dict, repeat: int) -> tuple[dict, dict, dict[str, str]]:
    """Median wall and CPU per pipeline over interleaved rounds, and each pipeline's frames vs the reference's."""
    settings = VideoSettings(num_frames=frames, sampling="uniform", min_pixels=3136, max_pixels=MAX_PIXELS)
    runs = {
        REFERENCE: lambda: reference(path, settings),
        **{name: lambda b=b: load_media(path.parent, Media(path.name), settings, backend=b) for name, b in pipelines.items()},
    }  # fmt: skip
    outputs = {name: fn() for name, fn in runs.items()}  # untimed warm-up
    verdicts = {name: compare(outputs[name], outputs[REFERENCE]) for name in pipelines}
    del outputs
    names = list(runs)
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeat):
        for name in names if round_ % 2 == 0 else names[::-1]:
            wall, cpu, _ = timed(runs[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    median = statistics.median
    return {k: median(v) for k, v in walls.items()}, {k: median(v) for k, v in cpus.items()}, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tarsier_eval_bench"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--frames", type=int, nargs="*", default=list(FRAMES))
    parser.add_argument("--clips", nargs="*", help="e.g. 360p_10s 720p_60s (default: all four)")
    parser.add_argument("--decord", action="store_true", help="also time our pipeline on decord frames")
    args = parser.parse_args()
    logging.getLogger("qwen_vl_utils").setLevel(logging.ERROR)
    measured = Path(tarsier_eval.__file__).resolve().parents[1]
    if measured != Path(__file__).resolve().parents[1]:
        print(f"WARNING: measuring the tarsier_eval of {measured}, not this checkout (run with PYTHONPATH=.)")
    clips = [c for c in CLIPS if not args.clips or f"{c[0]}p_{c[2]}s" in args.clips]
    paths = [clip_path(args.workdir, *clip) for clip in clips]
    pipelines = {"ours": PyAVBackend(), **({"ours (decord)": DecordBackend()} if args.decord else {})}
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch threads {torch.get_num_threads()}, our decoder threads {decode_threads()}, load average {_load()}"
    )
    rates = [f"{p.name} {p.stat().st_size * 8 / c[2] / 1e6:.1f} Mbit/s" for p, c in zip(paths, clips, strict=True)]
    print(f"clips: {', '.join(rates)}")
    print(f"{args.repeat} timed rounds per row, medians; ratio = fetch_video / ours (goal: wall >= {GOAL})\n")
    header = f"{'clip':14s} {'frames':>6s} {'fetch_video wall/CPU s':>22s} {'ours wall/CPU s':>16s} {'wall x':>7s} {'CPU x':>6s}"
    print(header + "  frames vs fetch_video")
    missed = 0
    for path in paths:
        for frames in args.frames:
            walls, cpus, verdicts = measure_row(path, frames, pipelines, args.repeat)
            for name in pipelines:
                ratio = walls[REFERENCE] / walls[name]
                missed += ratio < GOAL
                label = path.stem.removeprefix("web_") + ("" if name == "ours" else " decord")
                print(
                    f"{label:14s} {frames:6d} {walls[REFERENCE]:10.2f} / {cpus[REFERENCE]:9.2f} "
                    f"{walls[name]:7.2f} / {cpus[name]:6.2f} {ratio:6.2f}{'' if ratio >= GOAL else '!'} "
                    f"{cpus[REFERENCE] / cpus[name]:6.2f}  {verdicts[name]}  (load {_load()})",
                    flush=True,
                )
    print(f"\nrows under the {GOAL}x wall goal: {missed} (marked !)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
