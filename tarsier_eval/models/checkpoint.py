"""Opening a Tarsier2 / Qwen2-VL checkpoint: config repair for `model_type: llava`, the names and shapes of its
weights, fingerprint, device choice."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from tarsier_eval.errors import UsageError

_WEIGHT_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def local_checkpoint(pretrained: str) -> Path | None:
    path = Path(pretrained).expanduser()
    return path if path.is_dir() else None


def read_config(pretrained: str) -> dict[str, Any] | None:
    path = local_checkpoint(pretrained)
    if path is None:
        return None
    config_file = path / "config.json"
    if not config_file.is_file():
        raise UsageError(f"checkpoint {path} has no config.json")
    return json.loads(config_file.read_text())


def qwen2vl_config(pretrained: str):
    """A Qwen2VLConfig for the checkpoint, or None to let transformers read config.json as it is.

    Tarsier2's released config declares `model_type: llava` with Qwen2-VL `text_config`/`vision_config`; transformers
    would build a Llava model from it, so an explicit Qwen2-VL config is made from those parts instead.
    """
    raw = read_config(pretrained)
    if raw is None or raw.get("model_type") == "qwen2_vl":
        return None
    from transformers import Qwen2VLConfig

    fields = {k: v for k, v in raw.items() if k not in ("model_type", "architectures", "transformers_version")}
    for sub in ("text_config", "vision_config"):  # nested parts may name llava-era model types; Qwen2-VL's win
        if isinstance(fields.get(sub), dict):
            fields[sub] = {k: v for k, v in fields[sub].items() if k != "model_type"}
    return Qwen2VLConfig(**fields)  # flat (legacy) text fields are moved into text_config by Qwen2VLConfig


def weight_files(path: Path) -> list[Path]:
    """The weight files transformers reads, in its order of preference: a safetensors index's shards, one
    safetensors file, a PyTorch index's shards, one PyTorch file."""
    for index, single in zip(_WEIGHT_INDEXES, ("model.safetensors", "pytorch_model.bin"), strict=True):
        if (path / index).is_file():
            weight_map = json.loads((path / index).read_text()).get("weight_map", {})
            return [path / name for name in sorted(set(weight_map.values()))]
        if (path / single).is_file():
            return [path / single]
    return []


def weight_shapes(pretrained: str) -> dict[str, tuple[int, ...]] | None:
    """Every weight's name and shape, read from the file headers (PyTorch files are memory-mapped, not read);
    None for a hub id or a directory without weights."""
    path = local_checkpoint(pretrained)
    files = weight_files(path) if path is not None else []
    if not files:
        return None
    shapes: dict[str, tuple[int, ...]] = {}
    for file in files:
        if not file.is_file():
            raise UsageError(f"checkpoint {path}: weight file {file.name} named by its index does not exist")
        shapes.update(_safetensors_shapes(file) if file.suffix == ".safetensors" else _torch_shapes(file))
    return shapes


def _safetensors_shapes(file: Path) -> dict[str, tuple[int, ...]]:
    from safetensors import safe_open

    with safe_open(str(file), "pt") as fh:
        return {key: tuple(fh.get_slice(key).get_shape()) for key in fh.keys()}  # noqa: SIM118 (not a dict)


def _torch_shapes(file: Path) -> dict[str, tuple[int, ...]]:
    import torch

    state = torch.load(file, map_location="cpu", mmap=True, weights_only=True)
    return {key: tuple(value.shape) for key, value in state.items()}


def fingerprint(pretrained: str) -> str | None:
    """sha256 over config.json and the weight index (or weight file names and sizes): cheap and content-based."""
    path = local_checkpoint(pretrained)
    if path is None:
        return None
    digest = hashlib.sha256((path / "config.json").read_bytes())
    index = next((path / n for n in _WEIGHT_INDEXES if (path / n).is_file()), None)
    if index is not None:
        digest.update(index.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        with weights.open("rb") as fh:
            digest.update(weights.name.encode() + str(weights.stat().st_size).encode() + fh.read(1 << 16))
    return digest.hexdigest()


def pick_device(requested: str | None = None) -> str:
    import torch

    if requested:
        return requested
    if torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return "cpu"


def pick_attention(device: str, requested: str | None = None) -> str:
    if requested:
        return requested
    if device.startswith("cuda") and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"
