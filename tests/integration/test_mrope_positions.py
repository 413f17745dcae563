"""Generation gives vision tokens their 3D (M-RoPE) positions: transformers 5 computes them only when the inputs
carry `mm_token_type_ids`; without it every token silently gets a 1D text position (wrong numbers, no error)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tarsier_eval.data.sample import Media, Sample, SourceRef
from tarsier_eval.models.tarsier2 import tarsier2
from tarsier_eval.video.synthetic import indexed_frames


def _prepared(backend, question: str, seed: int):
    sample = Sample(f"s{seed}", "t", "x", Media("v"), question, None, SourceRef("f", "/0"))
    frames = np.repeat(indexed_frames(4, 56, 56, seed=seed), 2, axis=0)  # as the tarsier2 media profile gives them
    return backend.preprocessor({})(sample, frames)


@pytest.mark.parametrize("video_as", ["images", "video"])
def test_generation_uses_the_3d_positions_of_the_vision_tokens(tiny_checkpoint: Path, video_as: str):
    backend = tarsier2(pretrained=str(tiny_checkpoint), video_as=video_as)
    batch = [_prepared(backend, "What happens?", 1), _prepared(backend, "What happens in this clip, in detail?", 2)]
    inputs = backend.collate(batch)
    vision_id = backend.model.config.image_token_id if video_as == "images" else backend.model.config.video_token_id
    types = inputs["mm_token_type_ids"]
    assert torch.equal(types != 0, inputs["input_ids"] == vision_id)  # left padding included
    _, expected = backend.model.model.get_rope_index(
        inputs["input_ids"], image_grid_thw=inputs.get("image_grid_thw"),
        video_grid_thw=inputs.get("video_grid_thw"), attention_mask=inputs["attention_mask"], mm_token_type_ids=types,
    )  # fmt: skip
    assert (expected != 0).all()  # 3D positions are more compact than 1D ones: a real check
    backend.generate(batch, {"max_new_tokens": 2})
    assert torch.equal(backend.model.model.rope_deltas, expected)
