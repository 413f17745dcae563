"""The `lmms-eval` backend: any lmms-eval model class as the model under test (`pip install tarsier-eval[lmms]`).

`--model lmms-eval --model-args name=qwen2_vl,pretrained=PATH,device=cuda,...`: `name` is the lmms-eval model name
(`lmms_eval.models.get_model`); every other argument goes to the class as lmms-eval's own `--model_args` would
(`create_from_arg_string`: true/false and numbers are converted). lmms-eval is imported only by this backend.

What the class is sent (docs/lmms-eval.md), through its `generate_until`, one request per sample:
- frames: the chosen protocol's frames (the task's sampler, frame count and pixel budget, resized by the `qwen2vl`
  media profile, an odd count padded with the last frame), as PIL images: one image per frame, never the video
  file. The class then treats them as images (Qwen2-VL: JPEG data URLs at quality 85, resized by qwen_vl_utils
  within the class's max_pixels), not as a video with temporal patches as our `tarsier2 video_as=video` does,
  nor with Tarsier2's per-sample pixel budget of `video_as=images`.
- prompt: the sample's rendered prompt as the context; the response prefix (e.g. "Best option:(") is appended to
  it, since lmms-eval classes cannot prefill the assistant turn (as with `--model openai`). The system prompt:
  simple classes with a `system_prompt` attribute (Qwen2-VL, Qwen2.5-VL...) get the task's (their own default
  when the task has none); other simple classes get it before the context; chat classes get a system message.
- generation: max_new_tokens (default 512), temperature (0 unless do_sample), top_p, num_beams.
Batches: the runner hands over `--batch-size` samples at a time; the class batches them by its own `batch_size`
model arg. Sharding and resume are the runner's (each rank builds its own class instance on its device).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.registry import MODELS
from tarsier_eval.task import VideoSettings

INSTALL_HINT = "pip install 'tarsier-eval[lmms]' (lmms-eval; docs/lmms-eval.md says what it needs)"
TASK, SPLIT = "tarsier_eval", "test"


def lmms_eval_version() -> str | None:
    try:
        return metadata.version("lmms_eval")
    except metadata.PackageNotFoundError:
        return None


def doc_visuals(doc: dict[str, Any]) -> list[Any]:
    """The doc_to_visual of our requests: the sample's frames as PIL images."""
    from PIL import Image

    return [Image.fromarray(frame) for frame in doc["frames"]]


def doc_messages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The doc_to_messages of our requests (chat classes): optional system turn, then frames and text."""
    content = [{"type": "image", "url": image} for image in doc_visuals(doc)]
    messages = [{"role": "system", "content": [{"type": "text", "text": doc["system"]}]}] if doc["system"] else []
    return [*messages, {"role": "user", "content": [*content, {"type": "text", "text": doc["context"]}]}]


@dataclass
class LmmsPreprocessor:
    """Keeps the frames and the prompt (runs in DataLoader workers; nothing of lmms-eval is needed here)."""

    media_profile: str = "qwen2vl"

    def video_settings(self, settings: VideoSettings) -> VideoSettings:
        return settings

    def __call__(self, sample: Sample, frames: np.ndarray | None) -> PreparedInput:
        payload = {"frames": [] if frames is None else list(frames), "system": sample.system,
                   "context": sample.prompt + (sample.response_prefix or "")}  # fmt: skip
        return PreparedInput(sample.sample_id, payload, 0 if frames is None else len(frames))


def generation_kwargs(generation: dict[str, Any]) -> dict[str, Any]:
    sampling = bool(generation.get("do_sample"))
    return {"max_new_tokens": int(generation.get("max_new_tokens", 512)),
            "temperature": float(generation.get("temperature", 1.0)) if sampling else 0.0,
            "top_p": generation.get("top_p") if sampling else None, "num_beams": int(generation.get("num_beams", 1)),
            "do_sample": sampling}  # fmt: skip


class LmmsEvalBackend:
    name = "lmms-eval"

    def __init__(self, model_name: str, class_args: dict[str, str], info: dict[str, Any]):
        self.model_name = model_name
        self.class_args = class_args
        self.info = info
        self._model: Any = None
        self._default_system: str | None = None

    def describe(self) -> dict[str, Any]:
        """The lmms-eval model and version, checkpoint fingerprint and, once loaded, the class (runner adds args)."""
        loaded = (
            {} if self._model is None else {"class": f"{type(self._model).__module__}.{type(self._model).__name__}"}
        )
        return {"name": self.name, **self.info, **loaded}

    def preprocessor(self, generation: dict[str, Any]) -> LmmsPreprocessor:
        return LmmsPreprocessor()

    def load(self) -> None:
        if self._model is None:
            from lmms_eval.models import get_model

            arg_string = ",".join(f"{k}={v}" for k, v in self.class_args.items())
            self._model = get_model(self.model_name).create_from_arg_string(arg_string)
            self._default_system = getattr(self._model, "system_prompt", None)

    def _request(self, index: int, payload: dict[str, Any], gen: dict[str, Any]) -> Any:
        from lmms_eval.api.instance import Instance

        simple = getattr(self._model, "is_simple", True)
        context = payload["context"]
        if simple and payload["system"] and not hasattr(self._model, "system_prompt"):
            context = f"{payload['system']}\n{context}"
        args = ((context, dict(gen), doc_visuals, index, TASK, SPLIT) if simple
                else (context, doc_messages, dict(gen), index, TASK, SPLIT))  # fmt: skip
        return Instance("generate_until", args, idx=0, metadata={"task": TASK, "doc_id": index, "repeats": 1})

    def generate(self, batch: list[PreparedInput], generation: dict[str, Any]) -> list[GenerationOutput]:
        self.load()
        gen = generation_kwargs(generation)
        self._model.task_dict = {TASK: {SPLIT: {i: item.payload for i, item in enumerate(batch)}}}
        if hasattr(self._model, "system_prompt"):  # one task per batch: one system prompt
            self._model.system_prompt = batch[0].payload["system"] or self._default_system
        replies = self._model.generate_until([self._request(i, item.payload, gen) for i, item in enumerate(batch)])
        texts = [getattr(reply, "text", reply) for reply in replies]
        return [GenerationOutput(item.sample_id, str(text)) for item, text in zip(batch, texts, strict=True)]


def _fingerprint(pretrained: str | None) -> str | None:
    if not pretrained:
        return None
    from tarsier_eval.models.checkpoint import fingerprint

    return fingerprint(pretrained)


@MODELS.register("lmms-eval")
def lmms_eval_model(name: str | None = None, **class_args: str) -> LmmsEvalBackend:
    """An lmms-eval model class by its lmms-eval name; refused (exit 2) when lmms-eval is not installed."""
    version = lmms_eval_version()
    if version is None:
        raise UsageError(f"--model lmms-eval needs lmms-eval, which is not installed: {INSTALL_HINT}")
    if not name:
        raise UsageError("--model lmms-eval needs --model-args name=LMMS_EVAL_MODEL (e.g. qwen2_vl),pretrained=...")
    info = {"lmms_model": name, "lmms_eval_version": version, "pretrained": class_args.get("pretrained"),
            "fingerprint": _fingerprint(class_args.get("pretrained")), "visual": "frames as images",
            "label": f"lmms-eval:{name}"}  # fmt: skip
    return LmmsEvalBackend(name, class_args, info)
