"""Frames for one sample, from the task's data root, per the task's video settings and the model's profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tarsier_eval.data.sample import Sample
from tarsier_eval.task import VideoSettings
from tarsier_eval.video.frame_cache import FrameCache
from tarsier_eval.video.media import load_media_cached


def sample_frames(
    task_root: Path, sample: Sample, settings: VideoSettings, profile: str, cache: FrameCache | None = None
) -> tuple[np.ndarray | None, bool]:
    """(frames, came from the frame cache); frames None for text-only samples.

    Raises VideoDecodeError naming the file for unusable media."""
    if sample.media.kind == "none":
        return None, False
    return load_media_cached(task_root, sample.media, settings, profile=profile, cache=cache)
