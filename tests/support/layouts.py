"""Copies of the tiny checkpoint in the other weight layouts a Tarsier2 checkpoint comes in (names renamed,
config rewritten), built from the saved files the way a converted or differently saved checkpoint would look."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

# the tiny checkpoint is saved by transformers 5, which writes the legacy names: visual.*, model.*, lm_head.*
RENAMES: dict[str, Callable[[str], str]] = {
    "qwen2vl-legacy": lambda k: k,
    "qwen2vl": lambda k: "model." + k if k.startswith("visual.") else k.replace("model.", "model.language_model.", 1),
    "tarsier2": lambda k: "vision_tower." + k[7:] if k.startswith("visual.") else "language_model." + k,
    "vllm": lambda k: k if k.startswith("visual.") else "language_model." + k,
}


def llava_config(config: dict) -> dict:
    """Tarsier2's release: a llava config around a qwen2_vl text config (bytedance/tarsier `LlavaConfig`)."""
    text = {**config.pop("text_config"), "model_type": "qwen2_vl"}
    vision = {**config.pop("vision_config"), "model_type": "qwen2_vl"}
    return {**config, "model_type": "llava", "architectures": ["TarsierForConditionalGeneration"],
            "text_config": text, "vision_config": vision, "projection_head": None}  # fmt: skip


def write_layout(
    src: Path,
    dest: Path,
    layout: str,
    *,
    edit: Callable[[dict[str, torch.Tensor]], None] | None = None,
    config_edit: Callable[[dict], dict] | None = None,
    shards: int = 1,
    torch_format: bool = False,
) -> Path:
    """`src` (the tiny checkpoint) with its weights renamed into `layout`, optionally edited, sharded or saved as
    a PyTorch file, and its config made Tarsier2's llava config for the tarsier2 layout."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("model.safetensors"))
    weights = {RENAMES[layout](k): v for k, v in load_file(src / "model.safetensors").items()}
    if edit is not None:
        edit(weights)
    config = json.loads((src / "config.json").read_text())
    if layout == "tarsier2":
        config = llava_config(config)
    if config_edit is not None:
        config = config_edit(config)
    (dest / "config.json").write_text(json.dumps(config, indent=1))
    if torch_format:
        torch.save(weights, dest / "pytorch_model.bin")
    elif shards == 1:
        save_file(weights, dest / "model.safetensors", metadata={"format": "pt"})
    else:
        _save_sharded(weights, dest, shards)
    return dest


def _save_sharded(weights: dict[str, torch.Tensor], dest: Path, shards: int) -> None:
    keys = sorted(weights)
    weight_map = {}
    for i in range(shards):
        name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: weights[k] for k in keys[i::shards]}
        save_file(part, dest / name, metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(part, name))
    index = {"metadata": {"total_size": sum(v.numel() * v.element_size() for v in weights.values())},
             "weight_map": weight_map}  # fmt: skip
    (dest / "model.safetensors.index.json").write_text(json.dumps(index, indent=1))


def greedy_answer(backend) -> str:
    """Six greedy tokens for one synthetic 4-frame sample (frames as the tarsier2 media profile gives them)."""
    import numpy as np

    from tarsier_eval.data.sample import Media, Sample, SourceRef
    from tarsier_eval.video.synthetic import indexed_frames

    sample = Sample("s", "t", "x", Media("v"), "What happens?", None, SourceRef("f", "/0"))
    frames = np.repeat(indexed_frames(4, 56, 56, seed=3), 2, axis=0)
    prepared = backend.preprocessor({})(sample, frames)
    return backend.generate([prepared], {"max_new_tokens": 6})[0].response
