"""The `openai` backend: any OpenAI-compatible chat endpoint as the model under test (the paper's GPT-4o rows).

Frames go as base64 JPEG `image_url` parts before the prompt (frames resized by the `qwen2vl` media profile with
the task's pixel budget); the response prefix, if any, is appended to the prompt text since chat APIs cannot
prefill. Transport (bounded concurrency, retries with backoff honouring Retry-After, timeouts, usage and cost) is
`tarsier_eval.openai_compat.ChatClient`, the client the judge also uses; no cache and no re-asking here. A failed
call or an empty reply is the sample's error. The key comes from the environment variable named by `api_key_env`
and is never stored.
The `model` field of every reply is recorded (manifest `model.served_model`); a name other than the one asked for
(a dated snapshot of it, `NAME-YYYY-MM-DD`, counts as the same) is warned about once and listed in
`model.served_model_mismatch` and `model.warnings`, which mark the run in tables and reports.

Model args: `model` (required), `base_url`, `api_key_env` (default OPENAI_API_KEY), `concurrency` (16),
`max_attempts` (6), `timeout` (120), `jpeg_quality` (90), `detail` (auto|low|high, default auto).
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.models.strict import with_warnings
from tarsier_eval.openai_compat.client import ChatClient, ChatSession, run_sync
from tarsier_eval.openai_compat.config import ClientConfig, safe_url
from tarsier_eval.openai_compat.usage import CallFailed
from tarsier_eval.registry import MODELS
from tarsier_eval.task import VideoSettings

REQUEST_KEYS = {"max_new_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p"}


def jpeg_data_url(frame: np.ndarray, quality: int) -> str:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass
class ChatPreprocessor:
    """Encodes frames to JPEG in DataLoader workers and builds the chat messages."""

    jpeg_quality: int = 90
    detail: str = "auto"
    media_profile: str = "qwen2vl"

    def video_settings(self, settings: VideoSettings) -> VideoSettings:
        return settings

    def __call__(self, sample: Sample, frames: np.ndarray | None) -> PreparedInput:
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": jpeg_data_url(f, self.jpeg_quality), "detail": self.detail}}
            for f in (frames if frames is not None else [])
        ]
        content.append({"type": "text", "text": sample.prompt + (sample.response_prefix or "")})
        messages: list[dict[str, Any]] = []
        if sample.system:
            messages.append({"role": "system", "content": sample.system})
        messages.append({"role": "user", "content": content})
        return PreparedInput(sample.sample_id, {"messages": messages}, 0 if frames is None else len(frames))


def same_model(requested: str, served: str) -> bool:
    """The served name is the requested one, or a dated snapshot of it (gpt-4o -> gpt-4o-2024-08-06)."""
    return served == requested or re.fullmatch(re.escape(requested) + r"-\d{4}-\d{2}-\d{2}", served) is not None


class OpenAIChatBackend:
    name = "openai"

    def __init__(self, client: ChatClient, preprocess: ChatPreprocessor, info: dict[str, Any]):
        self.client = client
        self.preprocess = preprocess
        self.info = info
        self._warned: set[str] = set()

    def served(self) -> tuple[list[str], list[str]]:
        """(every model name the endpoint replied as, those that are not the one asked for)."""
        names = sorted(n for n in self.client.usage()["served_models"] if n)
        return names, [n for n in names if not same_model(self.info["model"], n)]

    def describe(self) -> dict[str, Any]:
        names, mismatch = self.served()
        served = {"served_model": names, "served_model_mismatch": mismatch} if names else {}
        return with_warnings({"name": self.name, "fingerprint": None, **self.info, **served})

    def _warn_mismatch(self) -> None:
        for name in sorted(set(self.served()[1]) - self._warned):
            self._warned.add(name)
            print(f"warning: --model openai asked for model {self.info['model']!r} but the endpoint replied as "
                  f"{name!r}; recorded in the run manifest (model.served_model)", file=sys.stderr)  # fmt: skip

    def load(self) -> None:
        """Nothing to load: the model is behind the endpoint."""

    def preprocessor(self, generation: dict[str, Any]) -> ChatPreprocessor:
        return self.preprocess

    def generate(self, batch: list[PreparedInput], generation: dict[str, Any]) -> list[GenerationOutput]:
        params = {
            "temperature": 0.0,
            **{api: generation[key] for key, api in REQUEST_KEYS.items() if key in generation},
        }
        outputs = run_sync(self._generate(batch, params))
        self._warn_mismatch()
        return outputs

    def usage(self) -> dict[str, Any]:
        return self.client.usage()

    async def _generate(self, batch: list[PreparedInput], params: dict[str, Any]) -> list[GenerationOutput]:
        async with self.client.session() as session:
            return list(await asyncio.gather(*(_answer(session, item, params) for item in batch)))


async def _answer(session: ChatSession, item: PreparedInput, params: dict[str, Any]) -> GenerationOutput:
    try:
        reply = await session.complete(item.payload["messages"], params)
    except CallFailed as exc:
        return GenerationOutput(item.sample_id, None, f"API call failed: {exc}")
    if not reply.text.strip():
        return GenerationOutput(
            item.sample_id, None, f"API call failed: empty reply (finish_reason {reply.finish_reason})"
        )
    return GenerationOutput(item.sample_id, reply.text, None)


@MODELS.register("openai")
def openai_chat(
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    concurrency: str = "16",
    max_attempts: str = "6",
    timeout: str = "120",
    jpeg_quality: str = "90",
    detail: str = "auto",
) -> OpenAIChatBackend:
    if not model:
        raise UsageError("the openai backend needs --model-args model=NAME[,base_url=URL,api_key_env=VAR]")
    config = ClientConfig(
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=int(concurrency),
        max_attempts=int(max_attempts),
        timeout=float(timeout),
    )
    client = ChatClient(config, key_hint="name another with --model-args api_key_env=VAR, or give base_url=URL")
    info = {"model": model, "base_url": safe_url(base_url), "api_key_env": api_key_env}
    return OpenAIChatBackend(client, ChatPreprocessor(int(jpeg_quality), detail), info)
