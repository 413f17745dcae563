"""The tiny model's training clips: seeded, of the demo's kind, and never one of the demo's 32 test clips."""

from __future__ import annotations

import dataclasses

import pytest

from tarsier_eval.demo import demo_clips
from tarsier_eval.errors import UsageError
from tarsier_eval.models.tiny import ensure_tiny_checkpoint
from tarsier_eval.models.tiny_train import CLIPS, SIZE, VALIDATION_CLIPS, training_clips
from tarsier_eval.video.synthetic import DIRECTIONS


def _drawing(clip) -> tuple:
    """What the frames depend on (everything but the id and the colour word)."""
    return tuple(v for k, v in dataclasses.asdict(clip).items() if k not in ("clip_id", "color_name"))


def test_training_clips_exclude_the_demo_clips():
    train, demo = training_clips(CLIPS + VALIDATION_CLIPS), demo_clips()  # the held-out clips too
    assert len({c.clip_id for c in train}) == CLIPS + VALIDATION_CLIPS
    assert training_clips()[:CLIPS] == train[:CLIPS] and len(training_clips()) == CLIPS
    assert not {_drawing(c) for c in train} & {_drawing(c) for c in demo}
    assert {c.square for c in demo} == {20} and 20 not in {c.square for c in train}


def test_training_clips_are_seeded_and_cover_every_direction():
    assert training_clips(32) == training_clips(32) != training_clips(32, seed=1)
    clips = training_clips()
    assert {c.direction for c in clips} == set(DIRECTIONS)
    for clip in clips[:64]:
        frames = clip.frames()
        assert frames.shape == (24, SIZE, SIZE, 3)
        assert (frames[0] != frames[-1]).any()  # the square moves


def test_unknown_variant_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="variant must be one of trained, early, random"):
        ensure_tiny_checkpoint(tmp_path, variant="best")
