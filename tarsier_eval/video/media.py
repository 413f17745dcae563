"""`load_media`: a sample's media (video file, frame folder or image list) to model-ready (T, H, W, 3) uint8 frames."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from tarsier_eval.data.sample import Media
from tarsier_eval.errors import VideoDecodeError
from tarsier_eval.task import VideoSettings
from tarsier_eval.video.decode import Backend, Reader, check_file, get_backend
from tarsier_eval.video.frame_cache import FrameCache
from tarsier_eval.video.resize import (
    PATCH_FACTOR,
    QWEN_MAX_PIXELS,
    QWEN_MIN_PIXELS,
    chunk_frames,
    resize_pil,
    resize_torch,
    smart_resize,
)
from tarsier_eval.video.sampling import frame_indices, segment_midpoint_indices

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
MVBENCH_FRAME_FPS = 3.0  # MVBench reads frame folders as 3 fps, 1-based (`get_index(bound, 3, n, first_idx=1)`)
TARSIER2_PIXELS_PER_SAMPLE = 128 * 384 * 384  # TarsierProcessor.max_pixels_per_sample


def _natural_key(path: Path) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def list_frame_files(folder: Path) -> list[Path]:
    """Image files of a frame folder in frame order; OpenEQA folders keep only their `*-rgb.png` frames."""
    if not folder.is_dir():
        raise VideoDecodeError("frame folder not found", file=str(folder))
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    rgb = [p for p in files if p.name.endswith("-rgb.png")]
    files = sorted(rgb or files, key=_natural_key)
    if not files:
        raise VideoDecodeError("frame folder holds no image files", file=str(folder))
    return files


def read_image(path: Path) -> np.ndarray:
    if not path.is_file():
        raise VideoDecodeError("image file not found", file=str(path))
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise VideoDecodeError(f"cannot read image: {exc}", file=str(path)) from exc


def folder_indices(settings: VideoSettings, total: int, start: float | None, end: float | None) -> list[int]:
    """Positions in a sorted frame folder; MVBench's segment midpoints count frames from 1 at 3 fps."""
    if settings.sampling == "segment_midpoint":
        bounds = (start, end) if settings.use_bounds else (None, None)
        indices = segment_midpoint_indices(settings.num_frames, total, MVBENCH_FRAME_FPS, *bounds, first_idx=1)
        return [i - 1 for i in indices]
    if settings.sampling == "fps":
        raise ValueError("fps sampling needs a video file (a frame folder has no frame rate)")
    return frame_indices(settings, total, MVBENCH_FRAME_FPS, start, end)


def _video_indices(reader: Reader, settings: VideoSettings, start: float | None, end: float | None, path: Path):
    try:
        return frame_indices(settings, reader.total, reader.fps, start, end)
    except ValueError as exc:
        raise VideoDecodeError(str(exc), file=str(path)) from exc


def decode_video(path: Path, settings: VideoSettings, start: float | None, end: float | None, backend: Backend):
    """The sampled frames of a video file at native resolution."""
    with backend.open(path) as reader:
        return reader.read(_video_indices(reader, settings, start, end, path))


def raw_frames(
    task_root: Path, media: Media, settings: VideoSettings, backend: Backend
) -> np.ndarray | list[np.ndarray]:
    """The sampled frames of any media kind, before resizing (a video's as one array; image lists may mix sizes)."""
    if media.kind == "video":
        return decode_video(task_root / media.path, settings, media.start, media.end, backend)
    if media.kind == "frames":
        files = list_frame_files(task_root / media.path)
        try:
            positions = folder_indices(settings, len(files), media.start, media.end)
        except ValueError as exc:
            raise VideoDecodeError(str(exc), file=str(task_root / media.path)) from exc
        return [read_image(files[i]) for i in positions]
    if media.kind == "images":
        if not media.images:
            raise VideoDecodeError("image list is empty", file=str(task_root / media.path))
        return [read_image(task_root / image) for image in media.images]
    raise VideoDecodeError(f"media kind '{media.kind}' has no frames", file=media.path or None)


Kernel = Callable[[Sequence[np.ndarray], np.ndarray], np.ndarray]
"""Resizes equally sized frames into `out` (and returns it)."""
Plan = Callable[[VideoSettings, int, int, int], tuple[tuple[int, int], Kernel]]
"""(settings, frame count, source height, source width) -> (target height, width), kernel."""
Layout = Callable[[int], list[list[int]]]
"""Frame count T -> where each of the T distinct frames goes in what the model is shown (its length: max + 1)."""


def distinct_layout(count: int) -> list[list[int]]:
    """Each frame once, in order (what a frame cache stores)."""
    return [[i] for i in range(count)]


def even_layout(count: int) -> list[list[int]]:
    """Qwen2-VL: an odd T gets the last frame once more (the processor pads so for temporal patch 2)."""
    layout = distinct_layout(count)
    if count % 2:
        layout[-1].append(count)
    return layout


def doubled_layout(count: int) -> list[list[int]]:
    """Tarsier2 (`use_multi_images_for_video`): every frame twice in a row, so each temporal patch holds one."""
    return [[2 * i, 2 * i + 1] for i in range(count)]


def lay_out(frames: np.ndarray, layout: Layout) -> np.ndarray:
    """Distinct frames (e.g. from a frame cache) placed per `layout` (no copy when each goes once, in order)."""
    places = layout(len(frames))
    if places == distinct_layout(len(frames)):
        return frames
    out = np.empty((max(p for positions in places for p in positions) + 1, *frames.shape[1:]), dtype=frames.dtype)
    for frame, positions in zip(frames, places, strict=True):
        out[positions] = frame
    return out


class ChunkedResize:
    """Frames arriving one by one, in any order, resized into the preallocated (count, H, W, 3) uint8 result a
    chunk at a time (`chunk_frames` of the source size, all of one size), so that at most one chunk of source
    frames is held. The target size and kernel come from `plan(height, width)` of the first frame."""

    def __init__(self, count: int, plan: Callable[[int, int], tuple[tuple[int, int], Kernel]]):
        self.count = count
        self.plan = plan
        self.out: np.ndarray | None = None
        self.kernel: Kernel | None = None
        self.chunk = 1
        self.pending: list[np.ndarray] = []
        self.targets: list[list[int]] = []

    def put(self, frame: np.ndarray, positions: list[int]) -> None:
        """Take one source frame for the given positions of the result (a frame asked for twice fills two)."""
        if self.out is None:
            size, self.kernel = self.plan(*frame.shape[:2])
            self.out = np.empty((self.count, *size, 3), dtype=np.uint8)
            self.chunk = chunk_frames(*frame.shape[:2])
        if self.pending and self.pending[0].shape != frame.shape:
            self.flush()
        self.pending.append(frame)
        self.targets.append(positions)
        if len(self.pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        firsts = [positions[0] for positions in self.targets]
        if firsts == list(range(firsts[0], firsts[0] + len(firsts))):  # in order: straight into the result
            rows = self.kernel(self.pending, self.out[firsts[0] : firsts[0] + len(firsts)])
        else:
            rows = self.kernel(self.pending, np.empty((len(firsts), *self.out.shape[1:]), dtype=np.uint8))
            self.out[firsts] = rows
        for row, positions in zip(rows, self.targets, strict=True):
            if len(positions) > 1:
                self.out[positions[1:]] = row
        self.pending.clear()
        self.targets.clear()

    def result(self) -> np.ndarray:
        self.flush()
        if self.out is None:
            raise ValueError("no frames to resize")
        return self.out


def _sink(count: int, settings: VideoSettings, plan: Plan, layout: Layout) -> tuple[ChunkedResize, Callable]:
    """A ChunkedResize for `count` distinct frames laid out per `layout`, and its `put` by request position."""
    places = layout(count)
    sink = ChunkedResize(max(p for positions in places for p in positions) + 1, partial(plan, settings, count))

    def put(frame: np.ndarray, positions: list[int]) -> None:
        sink.put(frame, [place for position in positions for place in places[position]])

    return sink, put


def resize_frames(
    frames: Sequence[np.ndarray], settings: VideoSettings, plan: Plan, layout: Layout = distinct_layout
) -> np.ndarray:
    """Decoded frames (an array, or a list that may mix sizes) through a profile's `plan`, placed per `layout`."""
    sink, put = _sink(len(frames), settings, plan, layout)
    for position, frame in enumerate(frames):
        put(frame, [position])
    return sink.result()


def resize_video(
    path: Path, settings: VideoSettings, start: float | None, end: float | None, backend: Backend, plan: Plan,
    layout: Layout = distinct_layout,
) -> np.ndarray:  # fmt: skip
    """A video file's sampled frames, each resized as soon as its chunk is decoded (no full-size clip held) and
    written straight to its places per `layout` (the profile's padding or doubling costs no second array)."""
    with backend.open(path) as reader:
        indices = _video_indices(reader, settings, start, end, path)
        sink, put = _sink(len(indices), settings, plan, layout)
        reader.stream(indices, put)
        return sink.result()


def pad_to_even(frames: np.ndarray) -> np.ndarray:
    """Repeat the last frame once when T is odd, as the Qwen2-VL processor does for temporal patch 2."""
    return lay_out(frames, even_layout)


def qwen2vl_plan(settings: VideoSettings, count: int, height: int, width: int) -> tuple[tuple[int, int], Kernel]:
    """Qwen2-VL: one smart_resize (factor 28, the task's pixel budget) for the clip, torchvision bicubic."""
    size = smart_resize(height, width, PATCH_FACTOR, settings.min_pixels, settings.max_pixels)
    return size, partial(_torch_kernel, size)


def _torch_kernel(size: tuple[int, int], frames: Sequence[np.ndarray], out: np.ndarray) -> np.ndarray:
    return resize_torch(frames, *size, out=out)


def qwen2vl_resize(frames: np.ndarray | list[np.ndarray], settings: VideoSettings) -> np.ndarray:
    return resize_frames(frames, settings, qwen2vl_plan)


def tarsier2_plan(settings: VideoSettings, count: int, height: int, width: int) -> tuple[tuple[int, int], Kernel]:
    """Tarsier2's official inference path (tarsier2 branch, dataset/ + TarsierProcessor), reproduced:

    1. pixel budget per frame = min(max_pixels, 128*384*384 // images in the sample), images = 2T because
       `use_multi_images_for_video` duplicates every frame; min_pixels capped at that budget;
    2. Pillow bicubic resize to `smart_resize(factor=1)` within that budget (`resize2pixels`);
    3. Pillow bicubic resize to multiples of 28 (what the Qwen2-VL image processor then does; its own budget,
       3136..12845056 pixels by default, never binds after step 2);
    4. (`doubled_layout`, after any cache) every frame twice in a row (`use_multi_images_for_video`), so each
       temporal patch holds one frame.
    """
    max_pixels = min(settings.max_pixels, TARSIER2_PIXELS_PER_SAMPLE // (2 * count))
    min_pixels = min(settings.min_pixels, max_pixels)
    budget = smart_resize(height, width, 1, min_pixels, max_pixels)
    final = smart_resize(*budget, PATCH_FACTOR, QWEN_MIN_PIXELS, QWEN_MAX_PIXELS)
    return final, partial(_pil_kernel, budget, final)


def _pil_kernel(
    budget: tuple[int, int], final: tuple[int, int], frames: Sequence[np.ndarray], out: np.ndarray
) -> np.ndarray:
    return resize_pil(resize_pil(frames, *budget), *final, out=out)


def tarsier2_resize(frames: np.ndarray | list[np.ndarray], settings: VideoSettings) -> np.ndarray:
    return resize_frames(frames, settings, tarsier2_plan)


def double_frames(frames: np.ndarray) -> np.ndarray:
    """Every frame twice in a row (Tarsier2's `use_multi_images_for_video`)."""
    return lay_out(frames, doubled_layout)


# profile -> (plan: how the distinct frames are resized, what a frame cache stores; layout: what the model sees)
PROFILE_STEPS: dict[str, tuple[Plan, Layout]] = {
    "qwen2vl": (qwen2vl_plan, even_layout),
    "tarsier2": (tarsier2_plan, doubled_layout),
}
PROFILES = tuple(PROFILE_STEPS)


def load_media(
    task_root: Path,
    media: Media,
    settings: VideoSettings,
    *,
    backend: Backend | str | None = None,
    profile: str = "qwen2vl",
    cache: FrameCache | None = None,
) -> np.ndarray:
    """Model-ready frames (T, H, W, 3) uint8 of a sample: sampled per `settings`, resized per Qwen2-VL, T even.

    `profile="qwen2vl"` (default) resizes once with smart_resize (factor 28, settings' pixel budget) using the
    torchvision kernel and pads an odd T with the last frame; `profile="tarsier2"` follows the official Tarsier2
    pipeline (see `tarsier2_resize`). Raises VideoDecodeError for missing, empty, corrupt or short media.
    With a `cache`, a video file's resized frames are stored and reused (see `tarsier_eval.video.frame_cache`).
    """
    return load_media_cached(task_root, media, settings, backend=backend, profile=profile, cache=cache)[0]


def load_media_cached(
    task_root: Path, media: Media, settings: VideoSettings, *, backend: Backend | str | None = None,
    profile: str = "qwen2vl", cache: FrameCache | None = None,
) -> tuple[np.ndarray, bool]:  # fmt: skip
    """`load_media` (same arguments), and whether the frames came from the cache."""
    if profile not in PROFILE_STEPS:
        raise ValueError(f"unknown preprocessing profile '{profile}' (known: {', '.join(PROFILES)})")
    plan, layout = PROFILE_STEPS[profile]
    chosen = get_backend(backend) if backend is None or isinstance(backend, str) else backend

    def produce(places: Layout) -> np.ndarray:
        if media.kind == "video":
            return resize_video(task_root / media.path, settings, media.start, media.end, chosen, plan, places)
        return resize_frames(raw_frames(task_root, media, settings, chosen), settings, plan, places)

    if cache is None or media.kind != "video":
        return produce(layout), False
    path = task_root / media.path
    check_file(path)
    frames, hit = cache.fetch(cache.key(path, media, settings, profile, chosen.name), partial(produce, distinct_layout))
    return lay_out(frames, layout), hit
