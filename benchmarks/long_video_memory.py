"""Peak memory of `load_media` (decode + resize, the whole of it) sampling 256 frames from a long video.

Writes a synthetic H.264 video (default: one hour, 640x360 at 5 fps, keyframe every 10 s) into --workdir once,
then, in a fresh child process per (backend, profile), runs `load_media` with 256 uniform frames and reports
the child's peak RSS (ru_maxrss) grown during the call, against the size of what `load_media` returns (goal:
growth <= 2x the output) and of the fully decoded video. Children run in interleaved rounds (--repeat, median
reported). With --compare DIR, the same children also run on the tarsier_eval found in DIR (e.g. an export
of an earlier commit), so old and new are measured in one run.

    PYTHONPATH=. python benchmarks/long_video_memory.py [--seconds 3600] [--fps 5] [--frames 256] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEIGHT, WIDTH = 360, 640
RUNS = [("pyav", "qwen2vl"), ("pyav", "tarsier2"), ("decord", "qwen2vl"), ("decord", "tarsier2")]
GOAL = 2.0


def child(path: Path, backend: str, profile: str, frames: int) -> None:
    import numpy as np
    import torch  # noqa: F401  (imported before the baseline, as in a DataLoader worker)

    import tarsier_eval
    from tarsier_eval.data.sample import Media
    from tarsier_eval.task import VideoSettings
    from tarsier_eval.video import load_media

    settings = VideoSettings(num_frames=frames, sampling="uniform")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    out = load_media(path.parent, Media(path.name), settings, backend=backend, profile=profile)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    print(json.dumps({"grown": (peak - base) * 1024, "peak": peak * 1024, "wall": wall, "cpu": cpu,
                      "out": out.nbytes, "shape": list(out.shape), "module": tarsier_eval.__file__}))  # fmt: skip


def measure(path: Path, backend: str, profile: str, frames: int, checkout: Path) -> dict:
    cmd = [sys.executable, __file__, "--frames", str(frames), "--child", str(path), backend, profile]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"child {backend}/{profile} on {checkout} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.splitlines()[-1])
    if not Path(result["module"]).resolve().is_relative_to(checkout):
        raise SystemExit(f"child imported {result['module']}, not the tarsier_eval of {checkout}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tarsier_eval_bench"))
    parser.add_argument("--seconds", type=float, default=3600)
    parser.add_argument("--fps", type=int, default=5)
    parser.add_argument("--frames", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="also measure the tarsier_eval package found in this folder")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "BACKEND", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], args.child[2], args.frames)
        return
    from tarsier_eval.video.synthetic import write_long_video

    here = Path(__file__).resolve().parents[1]
    path = args.workdir / f"long_{int(args.seconds)}s_{args.fps}fps.mp4"
    if not path.exists():
        start = time.perf_counter()
        write_long_video(path, args.seconds, HEIGHT, WIDTH, fps=args.fps, gop=10 * args.fps)
        print(f"wrote {path} in {time.perf_counter() - start:.0f} s")
    total = round(args.seconds * args.fps)
    full = total * HEIGHT * WIDTH * 3
    print(f"video: {args.seconds / 60:.0f} min, {total} frames {WIDTH}x{HEIGHT}, {path.stat().st_size / 2**20:.1f} MiB; "
          f"decoding all of it would hold {full / 2**30:.2f} GiB of RGB frames; load average {_load()}")  # fmt: skip
    checkouts = {
        "this checkout": here,
        **({f"--compare {args.compare}": args.compare.resolve()} if args.compare else {}),
    }
    results: dict[tuple[str, str, str], list[dict]] = {}
    for _ in range(args.repeat):  # interleaved: a burst of load from other jobs hits every configuration
        for name, checkout in checkouts.items():
            for backend, profile in RUNS:
                results.setdefault((name, backend, profile), []).append(
                    measure(path, backend, profile, args.frames, checkout)
                )
    print(f"{args.frames} uniform frames through load_media, fresh process each, median of {args.repeat} "
          f"(load average {_load()}); growth = peak RSS during the call minus before it")  # fmt: skip
    for (name, backend, profile), runs in results.items():
        grown = statistics.median(r["grown"] for r in runs)
        out = runs[0]["out"]
        verdict = "meets" if grown <= GOAL * out else "MISSES"
        print(
            f"  {name:24s} {backend:6s} {profile:8s} out {tuple(runs[0]['shape'])} {out / 2**20:6.1f} MiB  "
            f"wall {statistics.median(r['wall'] for r in runs):5.1f} s  CPU {statistics.median(r['cpu'] for r in runs):5.1f} s  "
            f"peak {statistics.median(r['peak'] for r in runs) / 2**20:6.0f} MiB  +{grown / 2**20:5.0f} MiB  "
            f"growth/output {grown / out:5.2f} ({verdict} <= {GOAL:g})  growth/full decode {grown / full:.4f}"
        )  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
