"""What the optional frame cache saves: load_media time on a hit vs decoding, per profile and frame count.

Synthetic H.264 videos (B-frames, a keyframe every 2 s); a miss decodes, resizes and writes the entry, a hit
reads it back (the first read of an entry may come from disk; later ones from the page cache, as in a run).
Run: `.venv/bin/python benchmarks/frame_cache.py [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tarsier_eval.data.sample import Media
from tarsier_eval.task import VideoSettings
from tarsier_eval.video import load_media
from tarsier_eval.video.frame_cache import FrameCache
from tarsier_eval.video.synthetic import write_h264_video

CASES = [  # (label, frames, seconds, height, width, profile, num_frames)
    ("16 frames, 640x360 20 s, tarsier2", 400, 20, 360, 640, "tarsier2", 16),
    ("16 frames, 1280x720 10 s, qwen2vl", 250, 10, 720, 1280, "qwen2vl", 16),
    ("128 frames, 640x360 60 s, tarsier2", 1200, 60, 360, 640, "tarsier2", 128),
]


def seconds(function) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = function()
    return time.perf_counter() - start, out


def compare(root: Path, media: Media, settings: VideoSettings, profile: str, cache: FrameCache, repeat: int):
    """Median seconds of decoding and of a cache hit (the entry is filled first); frames checked identical."""
    load_media(root, media, settings, profile=profile, cache=cache)
    decode, hit = [], []
    for _ in range(repeat):
        seconds_decode, expected = seconds(lambda: load_media(root, media, settings, profile=profile))
        seconds_hit, cached = seconds(lambda: load_media(root, media, settings, profile=profile, cache=cache))
        assert np.array_equal(expected, cached)
        decode.append(seconds_decode)
        hit.append(seconds_hit)
    return statistics.median(decode), statistics.median(hit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("| setting | decode (median) | cache hit (median) | speed-up | entry size | frames |")
        print("|---|---|---|---|---|---|")
        for label, total, length, height, width, profile, num_frames in CASES:
            name = f"{height}p-{total}.mp4"
            write_h264_video(root / name, total, height, width, fps=total // length, gop=2 * total // length)
            settings = VideoSettings(num_frames=num_frames, sampling="uniform", max_pixels=460_800)
            cache = FrameCache(root / f"cache-{profile}-{num_frames}", 50 << 30)
            decode, hit = compare(root, Media(name), settings, profile, cache, args.repeat)
            print(f"| {label} | {decode * 1000:.0f} ms | {hit * 1000:.0f} ms | x{decode / hit:.1f} | "
                  f"{cache.size() / 2**20:.0f} MiB | identical |")  # fmt: skip


if __name__ == "__main__":
    main()
