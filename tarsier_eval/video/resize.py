"""Qwen2-VL frame resizing: `smart_resize` (multiples of 28 within a pixel budget) and the resize kernels.

Two kernels, each matching a reference bit for bit:
- `torch`: torchvision bicubic with antialias on uint8, as `qwen_vl_utils.fetch_video` and the transformers
  Qwen2-VL video processor do;
- `pil`: Pillow bicubic, as the Tarsier2 data pipeline (`TarsierProcessor.resize2pixels`) and the PIL-based
  Qwen2-VL image processor do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

PATCH_FACTOR = 28  # patch size 14 x spatial merge 2
QWEN_MIN_PIXELS = 56 * 56
QWEN_MAX_PIXELS = 28 * 28 * 1280
MAX_ASPECT_RATIO = 200


def smart_resize(
    height: int,
    width: int,
    factor: int = PATCH_FACTOR,
    min_pixels: int = QWEN_MIN_PIXELS,
    max_pixels: int = QWEN_MAX_PIXELS,
) -> tuple[int, int]:
    """(h, w) divisible by `factor`, h*w within [min_pixels, max_pixels], aspect ratio kept as far as possible.

    The transformers Qwen2-VL rule (`video_processing_qwen2_vl.smart_resize`): round to the nearest multiple, and
    when out of budget rescale by sqrt(ratio) and floor (too big) or ceil (too small).
    """
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(f"aspect ratio of {height}x{width} exceeds {MAX_ASPECT_RATIO}")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


CHUNK_BYTES = 16 << 20  # float32 source pixels per interpolate call (the transient is ~4x this, plus ~30 MiB)
MIN_CHUNK_FRAMES = 3  # fewer frames per call cost more than they save (thread sync: 1 frame/call is 2x the CPU)


def chunk_frames(height: int, width: int) -> int:
    """How many (height, width) frames make one resize chunk: CHUNK_BYTES of float32, at least MIN_CHUNK_FRAMES."""
    return max(MIN_CHUNK_FRAMES, CHUNK_BYTES // (height * width * 3 * 4))


def _tensor(array: np.ndarray):
    """A torch view of a uint8 array (a copy only when the array is read-only, which torch cannot wrap)."""
    import torch

    return torch.from_numpy(array if array.flags.writeable else array.copy())


def _output(count: int, height: int, width: int, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return np.empty((count, height, width, 3), dtype=np.uint8)
    if out.shape != (count, height, width, 3) or out.dtype != np.uint8:
        raise ValueError(f"out has shape {out.shape} {out.dtype}, expected {(count, height, width, 3)} uint8")
    return out


def _same_size(frames: np.ndarray | Sequence[np.ndarray], out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return frames if isinstance(frames, np.ndarray) else np.stack(frames)
    result = _output(len(frames), *frames[0].shape[:2], out)
    for i, frame in enumerate(frames):
        result[i] = frame
    return result


def resize_torch(
    frames: np.ndarray | Sequence[np.ndarray], height: int, width: int, out: np.ndarray | None = None
) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, height, width, 3) uint8 with torchvision bicubic + antialias (qwen_vl_utils).

    Bit-identical to `torchvision.transforms.functional.resize(video, ..., BICUBIC, antialias=True)` on a uint8
    (T, 3, H, W) tensor, which converts to float32, interpolates, clamps to [0, 255], rounds and casts back. Done
    here a chunk of frames at a time (`chunk_frames`: each frame is interpolated on its own, so chunking changes no
    value) into the uint8 result (`out` when given): one contiguous float32 buffer per chunk filled straight from
    the frames (the float kernel is faster on contiguous NCHW than on the channels-last view torchvision gets),
    in-place clamp and round, one cast into the result. The transient memory is a few chunks of float32, whatever
    T is. `frames` may be a list of equally sized frames (no stacking).
    """
    import torch
    import torch.nn.functional as F

    count = len(frames)
    src_h, src_w = frames[0].shape[:2]
    if (src_h, src_w) == (height, width):  # torchvision returns such a video as it is
        return _same_size(frames, out)
    result = _output(count, height, width, out)
    step = chunk_frames(src_h, src_w)
    buffer = torch.empty((min(step, count), 3, src_h, src_w), dtype=torch.float32)
    for first in range(0, count, step):
        chunk = frames[first : first + step]
        source = buffer[: len(chunk)]
        if isinstance(chunk, np.ndarray):
            source.copy_(_tensor(chunk).permute(0, 3, 1, 2))
        else:
            for i, frame in enumerate(chunk):
                source[i].copy_(_tensor(frame).permute(2, 0, 1))
        resized = F.interpolate(source, size=[height, width], mode="bicubic", align_corners=False, antialias=True)
        resized.clamp_(0, 255).round_()
        torch.from_numpy(result[first : first + len(chunk)]).copy_(resized.to(torch.uint8).permute(0, 2, 3, 1))
    return result


def resize_pil(
    frames: np.ndarray | Sequence[np.ndarray], height: int, width: int, out: np.ndarray | None = None
) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, height, width, 3) uint8 with Pillow bicubic (Tarsier2, PIL image processor),
    frame by frame into the result (`out` when given)."""
    if frames[0].shape[:2] == (height, width):  # Pillow copies an image resized to its own size
        return _same_size(frames, out)
    result = _output(len(frames), height, width, out)
    for i, frame in enumerate(frames):
        result[i] = np.asarray(Image.fromarray(frame).resize((width, height), Image.Resampling.BICUBIC))
    return result
