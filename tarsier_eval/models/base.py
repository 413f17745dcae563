"""The interface every model backend implements, split so that preprocessing can run in DataLoader workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tarsier_eval.data.sample import Sample
from tarsier_eval.task import VideoSettings


@dataclass
class PreparedInput:
    """One sample, preprocessed on the CPU (in a worker process); batching happens later in the main process."""

    sample_id: str
    payload: dict[str, Any]
    num_frames: int = 0
    error: str | None = None
    frames_cached: bool = False  # the frames came from the frame cache (no decoding)
    prepare_s: float = 0.0  # seconds spent decoding and preprocessing it (in its DataLoader worker)


@dataclass
class GenerationOutput:
    sample_id: str
    response: str | None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Preprocessor(Protocol):
    """Picklable: sent to DataLoader workers. Turns a sample and its frames into model inputs."""

    media_profile: str  # how tarsier_eval.video.load_media prepares frames for this model

    def video_settings(self, settings: VideoSettings) -> VideoSettings: ...

    def __call__(self, sample: Sample, frames: np.ndarray | None) -> PreparedInput: ...


class ModelBackend(Protocol):
    name: str

    def describe(self) -> dict[str, Any]:
        """Name, arguments (no secrets) and checkpoint fingerprint for the manifest."""
        ...

    def preprocessor(self, generation: dict[str, Any]) -> Preprocessor:
        """Works before `load()`: the runner starts decoding while the weights load."""
        ...

    def load(self) -> None:
        """Load the weights (idempotent); `generate` needs them."""
        ...

    def generate(self, batch: list[PreparedInput], generation: dict[str, Any]) -> list[GenerationOutput]: ...
