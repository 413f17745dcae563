"""The `tarsier2` backend: transformers Qwen2-VL (`Qwen2VLForConditionalGeneration` + its processor).

Model args (`--model-args k=v,...`): `pretrained` (local path or hub id), `dtype` (default bf16 on GPU, fp32 on
CPU), `device`, `attn_implementation` (flash_attention_2 when installed, else sdpa), `video_as`:
- `images` (default, Tarsier2's own way): each sampled frame is one image with its own image tokens, resized by
  the `tarsier2` media profile (per-sample pixel cap 128*384*384 over the duplicated frames, two Pillow resizes;
  see tarsier_eval/video/media.py), as Tarsier2's inference code and the vLLM Tarsier2 port do.
- `video`: Qwen2-VL's native video input (frames merged in pairs by the temporal patch).
`strict` (default true): a checkpoint whose weights do not all load (missing, unexpected or mis-shaped, after the
explicit layout map of tarsier_eval.models.layouts) is a usage error; `strict=false` loads it anyway and the run
is marked (tarsier_eval.models.strict).
Generation is greedy by default; task YAML `generation:` and `--gen-kwargs` override it. Batches are left-padded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.models import layouts
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.models.checkpoint import fingerprint, pick_attention, pick_device, qwen2vl_config, read_config
from tarsier_eval.models.strict import (
    NOT_LISTED,
    LoadReport,
    check_before_loading,
    enforce,
    from_loading_info,
    parse_strict,
)
from tarsier_eval.registry import MODELS
from tarsier_eval.task import VideoSettings

GENERATION_KEYS = {"max_new_tokens", "min_new_tokens", "do_sample", "temperature", "top_p", "top_k",
                   "num_beams", "repetition_penalty"}  # fmt: skip


def build_messages(sample: Sample, num_frames: int, video_as: str) -> list[dict[str, Any]]:
    """The chat for one sample: optional system turn, then the frames and the prompt in the user turn."""
    visual: list[dict[str, Any]] = []
    if num_frames:
        visual = [{"type": "image"}] * num_frames if video_as == "images" else [{"type": "video"}]
    messages: list[dict[str, Any]] = []
    if sample.system:
        messages.append({"role": "system", "content": [{"type": "text", "text": sample.system}]})
    messages.append({"role": "user", "content": [*visual, {"type": "text", "text": sample.prompt}]})
    return messages


@dataclass
class Qwen2VLPreprocessor:
    """Tokenises the chat and patchifies the frames; runs in DataLoader workers (the processor pickles)."""

    processor: Any
    video_as: str = "images"
    pixel_dtype: Any = None  # the model's dtype: pixels are cast in the worker (the same cast generate would do),
    # so bf16 halves what crosses from worker to main process

    @property
    def media_profile(self) -> str:
        """Frames as Tarsier2's own pipeline makes them (images mode) or as the Qwen2-VL processor does (video)."""
        return "tarsier2" if self.video_as == "images" else "qwen2vl"

    def video_settings(self, settings: VideoSettings) -> VideoSettings:
        return settings

    def __call__(self, sample: Sample, frames: np.ndarray | None) -> PreparedInput:
        if frames is not None and self.video_as == "images":
            frames = frames[::2]  # the tarsier2 profile repeats each frame to fill a temporal patch; the image
            # processor does the same for a single image, so each frame is given once as an image
        num_frames = 0 if frames is None else len(frames)
        text = self.processor.apply_chat_template(
            build_messages(sample, num_frames, self.video_as), tokenize=False, add_generation_prompt=True
        )
        text += sample.response_prefix or ""
        kwargs: dict[str, Any] = {"text": [text], "return_tensors": "pt"}
        if num_frames and self.video_as == "images":
            kwargs["images"] = list(frames)
        elif num_frames:
            kwargs["videos"] = [frames]
        encoded = self.processor(**kwargs)
        payload = {"input_ids": encoded["input_ids"][0]}
        if "mm_token_type_ids" in encoded:  # which tokens are image/video tokens: M-RoPE needs it (transformers 5)
            payload["mm_token_type_ids"] = encoded["mm_token_type_ids"][0]
        for key in ("pixel_values", "image_grid_thw", "pixel_values_videos", "video_grid_thw"):
            if key in encoded:
                payload[key] = encoded[key]
        for key in ("pixel_values", "pixel_values_videos"):
            if key in payload:
                payload[key] = for_transfer(payload[key], self.pixel_dtype)
        return PreparedInput(sample.sample_id, payload, num_frames)


def for_transfer(tensor: Any, dtype: Any = None) -> Any:
    """The tensor in `dtype`; inside a DataLoader worker, written straight into shared memory.

    A worker's tensor is copied into shared memory when it is sent to the main process; casting into a shared
    buffer does the cast and that copy in one pass (about 25 ms less per 16-frame sample, see the overlap
    section of benchmarks/RESULTS.md)."""
    import torch
    from torch.utils.data import get_worker_info

    dtype = dtype or tensor.dtype
    if get_worker_info() is None:
        return tensor.to(dtype)
    shared = torch.empty(tensor.shape, dtype=dtype).share_memory_()
    return shared.copy_(tensor)


# Raised when a change to how inputs reach the model changes its outputs; in the run fingerprint, so a run is never
# continued across one. 2: vision tokens get their 3D M-RoPE positions (mm_token_type_ids; 1 gave them 1D ones).
BACKEND_REVISION = 2


class Tarsier2Backend:
    """Qwen2-VL generation on one device, around a processor and the model that `load_model` returns, loaded by
    `load()` (or on first use). Preprocessing (and so video decoding in DataLoader workers) only needs the
    processor, so the runner starts the first task's workers before the weights load."""

    name = "tarsier2"

    def __init__(
        self,
        load_model: Callable[[], Any],
        processor: Any,
        *,
        dtype: Any,
        device: str,
        video_as: str = "images",
        info: dict[str, Any] | None = None,
    ):
        if video_as not in ("images", "video"):
            raise ValueError(f"video_as must be 'images' or 'video', got {video_as!r}")
        self._load_model = load_model
        self._model: Any = None
        self.processor = processor
        self.processor.tokenizer.padding_side = "left"
        self.device = device
        self.dtype = dtype
        self.video_as = video_as
        self.pad_id = processor.tokenizer.pad_token_id
        self.info = info or {}

    @property
    def model(self) -> Any:
        self.load()
        return self._model

    def load(self) -> None:
        """Load the weights if they are not loaded yet."""
        if self._model is None:
            self._model = self._load_model()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "revision": BACKEND_REVISION, "dtype": str(self.dtype).removeprefix("torch."),
                "device": self.device, "video_as": self.video_as, **self.info}  # fmt: skip

    def preprocessor(self, generation: dict[str, Any]) -> Qwen2VLPreprocessor:
        return Qwen2VLPreprocessor(self.processor, self.video_as, self.dtype)

    def collate(self, batch: list[PreparedInput]) -> dict[str, Any]:
        """Left-pad token ids and concatenate the visual tensors in batch order."""
        import torch

        width = max(len(item.payload["input_ids"]) for item in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, item in enumerate(batch):
            tokens = item.payload["input_ids"]
            ids[row, width - len(tokens) :] = tokens
            mask[row, width - len(tokens) :] = 1
        inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if all("mm_token_type_ids" in item.payload for item in batch):
            types = torch.zeros((len(batch), width), dtype=torch.long)
            for row, item in enumerate(batch):
                kinds = item.payload["mm_token_type_ids"]
                types[row, width - len(kinds) :] = kinds
            inputs["mm_token_type_ids"] = types
        for key in ("pixel_values", "image_grid_thw", "pixel_values_videos", "video_grid_thw"):
            parts = [item.payload[key] for item in batch if key in item.payload]
            if parts:
                inputs[key] = torch.cat(parts)
        return inputs

    def generate(self, batch: list[PreparedInput], generation: dict[str, Any]) -> list[GenerationOutput]:
        import torch

        params = {
            "max_new_tokens": 512,
            "do_sample": False,
            **{k: v for k, v in generation.items() if k in GENERATION_KEYS},
        }
        if not params.get("do_sample"):
            params.pop("temperature", None), params.pop("top_p", None), params.pop("top_k", None)
        inputs = {k: v.to(self.device) for k, v in self.collate(batch).items()}
        for key in ("pixel_values", "pixel_values_videos"):
            if key in inputs:
                inputs[key] = inputs[key].to(self.dtype)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **params, pad_token_id=self.pad_id)
        new_tokens = out[:, inputs["input_ids"].shape[1] :]
        texts = self.processor.batch_decode(new_tokens, skip_special_tokens=True)
        return [GenerationOutput(item.sample_id, text) for item, text in zip(batch, texts, strict=True)]


@MODELS.register("tarsier2")
def tarsier2(
    pretrained: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    attn_implementation: str | None = None,
    video_as: str = "images",
    strict: str = "true",
) -> Tarsier2Backend:
    """A Tarsier2 / Qwen2-VL checkpoint (local path or hub id): processor now, weights at `load()`; a local
    checkpoint whose weights would not all load is refused here (see tarsier_eval.models.strict)."""
    import torch
    from transformers import AutoProcessor

    if not pretrained:
        raise UsageError("the tarsier2 backend needs --model-args pretrained=PATH_OR_HUB_ID")
    strict_load = parse_strict(strict)
    device = pick_device(device)
    torch_dtype = getattr(torch, dtype) if dtype else (torch.bfloat16 if device != "cpu" else torch.float32)
    attention = pick_attention(device, attn_implementation)
    config, raw_config = qwen2vl_config(pretrained), read_config(pretrained)
    report = check_before_loading(pretrained, config, raw_config, strict_load)
    info = {"pretrained": pretrained, "fingerprint": fingerprint(pretrained), "attn_implementation": attention,
            "config_repaired_from": None if config is None else "llava",
            **(report or LoadReport(NOT_LISTED)).describe(strict_load)}  # fmt: skip

    def load_model() -> Any:
        model, _ = load_checked(pretrained, config, raw_config, info, strict_load,
                                dtype=torch_dtype, attn_implementation=attention)  # fmt: skip
        return model.to(device).eval()

    return Tarsier2Backend(
        load_model, AutoProcessor.from_pretrained(pretrained), dtype=torch_dtype, device=device, video_as=video_as,
        info=info,
    )  # fmt: skip


def load_checked(
    pretrained: str, config: Any, raw_config: dict[str, Any] | None, info: dict[str, Any], strict: bool, **kwargs: Any
) -> tuple[Any, LoadReport]:
    """The model with every checkpoint weight renamed by the layout map as it loads, and transformers' own
    loading report enforced. `info` (the backend's manifest entry) gets that report when none was predicted."""
    from transformers import Qwen2VLForConditionalGeneration

    model, loading_info = Qwen2VLForConditionalGeneration.from_pretrained(
        pretrained, key_mapping=layouts.key_mapping(), ignore_mismatched_sizes=True, output_loading_info=True,
        **({"config": config} if config else {}), **kwargs,
    )  # fmt: skip
    report = from_loading_info(loading_info, info["weight_layout"], raw_config)
    predicted = info["weight_layout"] != NOT_LISTED
    if strict or not predicted:  # under strict=false a predicted report was warned about already
        enforce(report, strict, pretrained)
    if not predicted:
        info.update(report.describe(strict))
    return model, report
