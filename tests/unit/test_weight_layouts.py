"""The explicit weight-layout map: detection, renaming as transformers applies it, and the manifest flags."""

from __future__ import annotations

import re

import pytest

from tarsier_eval.errors import UsageError
from tarsier_eval.models import layouts
from tarsier_eval.models.openai_api import same_model
from tarsier_eval.models.strict import load_flags, parse_strict

# a few names of each layout, and the transformers 5 Qwen2-VL name each must land on
NAMES = {
    "qwen2vl": ["model.visual.blocks.0.attn.qkv.weight", "model.language_model.layers.0.mlp.up_proj.weight",
                "lm_head.weight"],
    "qwen2vl-legacy": ["visual.blocks.0.attn.qkv.weight", "model.layers.0.mlp.up_proj.weight", "lm_head.weight"],
    "tarsier2": ["vision_tower.blocks.0.attn.qkv.weight", "language_model.model.layers.0.mlp.up_proj.weight",
                 "language_model.lm_head.weight"],
    "vllm": ["visual.blocks.0.attn.qkv.weight", "language_model.model.layers.0.mlp.up_proj.weight",
             "language_model.lm_head.weight"],
}  # fmt: skip
TARGET = NAMES["qwen2vl"]


def as_transformers_renames(key: str) -> str:
    """transformers applies every matching `key_mapping` rule in turn, each on the previous result."""
    for pattern, target in layouts.key_mapping().items():
        key = re.sub(pattern, target, key, count=1)
    return key


@pytest.mark.parametrize("layout", NAMES)
def test_each_layout_is_detected_and_renamed_to_qwen2vl(layout: str):
    assert layouts.detect(NAMES[layout]) == layout
    assert [layouts.target_name(k) for k in NAMES[layout]] == TARGET
    assert [as_transformers_renames(k) for k in NAMES[layout]] == TARGET


def test_tarsier2_may_hold_its_projector_and_tied_checkpoints_no_lm_head():
    assert layouts.detect([*NAMES["tarsier2"], "multi_modal_projector.linear_1.weight"]) == "tarsier2"
    assert layouts.detect(NAMES["tarsier2"][:2]) == "tarsier2"
    assert layouts.detect(["multi_modal_projector.linear_1.weight"]) is None


def test_mixed_and_unknown_names_fit_no_layout():
    assert layouts.detect(["vision_tower.x", "model.layers.0.x"]) is None
    assert layouts.detect(["model.visual.x", "model.layers.0.x"]) is None  # current vision, legacy text
    assert layouts.detect(["llm.layers.0.x", "visual.x"]) is None
    assert layouts.unknown_prefixes(["llm.layers.0.x", "visual.x", "llm.norm.weight"]) == ["llm."]


def test_rotary_buffers_do_not_decide_the_layout():
    assert layouts.detect([*NAMES["tarsier2"], "language_model.model.rotary_emb.inv_freq"]) == "tarsier2"


def test_load_flags_and_strict_values():
    assert load_flags({"strict": True, "weight_layout": "tarsier2"}) == []
    entry = {"strict": False, "missing_keys": ["a", "b"], "unexpected_keys": ["c"], "mismatched_keys": []}
    assert load_flags(entry) == ["not strictly loaded (strict=false; 2 missing, 1 unexpected)"]
    assert parse_strict("False") is False and parse_strict("true") is True
    with pytest.raises(UsageError):
        parse_strict("no")


def test_dated_snapshot_is_the_requested_model():
    assert same_model("gpt-4o", "gpt-4o") and same_model("gpt-4o", "gpt-4o-2024-08-06")
    assert not same_model("gpt-4o", "gpt-4o-mini") and not same_model("gpt-4o", "Qwen2-VL-7B-Instruct")
