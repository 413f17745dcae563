"""The embedded demo data: 32 synthetic clips of a coloured square moving in a known direction, with MCQs.

Built deterministically under the cache on first use, so `tarsier-eval run --tasks demo` needs no download.
The tiny model's training clips (tarsier_eval/models/tiny_train.py) are of the same kind, written the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tarsier_eval.models.tiny import build_atomically, cache_root
from tarsier_eval.video.synthetic import DIRECTIONS, moving_square_frames, write_video

DEMO_VERSION = "v2"  # v2: options in a fixed order (left, right, up, down)
COLORS = {"red": (230, 30, 30), "green": (30, 200, 60), "blue": (40, 70, 230), "yellow": (240, 220, 30),
          "white": (250, 250, 250), "black": (10, 10, 10), "cyan": (30, 220, 220), "magenta": (220, 40, 200)}  # fmt: skip


@dataclass(frozen=True)
class Clip:
    """A clip of the demo's kind: `moving_square_frames` arguments and the colour word its question uses."""

    clip_id: str
    color_name: str
    direction: str
    color: tuple[int, int, int]
    square: int = 20
    background: tuple[int, int, int] = (96, 96, 96)
    distance: int | None = None
    center: tuple[int, int] | None = None

    def frames(self) -> np.ndarray:
        return moving_square_frames(self.direction, self.color, square=self.square, background=self.background,
                                    distance=self.distance, center=self.center)  # fmt: skip

    def record(self) -> dict[str, object]:
        """The clip's MCQ: the four directions as options, always in the same order."""
        return {
            "id": self.clip_id,
            "video": f"videos/{self.clip_id}.mp4",
            "subset": "horizontal" if self.direction in ("left", "right") else "vertical",
            "question": f"In which direction does the {self.color_name} square move?",
            "candidates": list(DIRECTIONS),
            "answer": self.direction,
        }


def demo_clips() -> list[Clip]:
    """One clip per (colour, direction): a 20-pixel square crossing the middle of a grey 112x112 canvas."""
    return [
        Clip(f"{name}-{direction}", name, direction, rgb) for name, rgb in COLORS.items() for direction in DIRECTIONS
    ]


def write_clips(root: Path, clips: list[Clip]) -> Path:
    """A data root of the demo task's layout: `root/demo/demo.jsonl` and the clips' videos."""
    for clip in clips:
        write_video(root / "demo" / "videos" / f"{clip.clip_id}.mp4", clip.frames())
    (root / "demo" / "demo.jsonl").write_text("".join(json.dumps(clip.record()) + "\n" for clip in clips))
    return root


def ensure_demo_data(root: Path | None = None) -> Path:
    """The demo data root (holding `demo/demo.jsonl` and the videos), built atomically if absent."""
    return build_atomically(
        (root or cache_root()) / f"demo-data-{DEMO_VERSION}", lambda out: write_clips(out, demo_clips())
    )
