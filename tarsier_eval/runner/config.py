"""RunConfig: everything a run needs, stored in its manifest so `--resume` and `merge` can rebuild it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_FRAME_CACHE_BYTES = 50 << 30


@dataclass
class RunConfig:
    tasks: list[str]
    model: str = "tiny-qwen2vl"
    model_args: dict[str, str] = field(default_factory=dict)
    data_root: str | None = None
    limit: int | None = None
    batch_size: int = 1
    auto_batch: bool = False
    workers: int = 2
    gen_kwargs: dict[str, Any] = field(default_factory=dict)
    score_options: dict[str, Any] = field(default_factory=dict)
    loader_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    frame_cache: str | None = None
    frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES
