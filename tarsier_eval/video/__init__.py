"""Video input: decoding backends, official frame samplers, Qwen2-VL resizing, synthetic media for tests.

Entry point: `load_media(task_root, media, settings) -> (T, H, W, 3) uint8`, T even, H and W multiples of 28.

Frame sampling names (`video.sampling` in task YAMLs) and where each comes from:
- `segment_midpoint`: MVBench `get_index` (OpenGVLab/Ask-Anything, MVBench demo): [start, end] (in frames:
  round(s*fps)..round(e*fps), whole video without bounds) split into n equal segments, the middle frame of each.
  Frame folders are read as MVBench does: 1-based at 3 fps.
- `uniform`: `linspace(first, last, n).round()`, both ends included, as qwen_vl_utils `fetch_video` with
  `nframes` (bounds per its `calculate_video_frame_range`: ceil(start*fps)..floor(end*fps)).
- `tarsier_uniform`: Tarsier2 `sample_video`, `video_sampler_version: v1` (bytedance/tarsier, tarsier2 branch,
  dataset/utils.py): round(i*(N-1)/(n-1)) over [round(start*fps), round(end*fps)]; clips shorter than n give
  all their frames.
- `fps`: qwen_vl_utils `smart_nframes` with `fps` (default 2), `min_frames` (4), `max_frames`
  (min(768, frames)): duration x fps clamped, floored to even, then linspace as `uniform`.
- `openeqa`: OpenEQA baselines (facebookresearch/open-eqa, openeqa/baselines/gpt4v.py): the episode folder's
  sorted `*-rgb.png` files, `np.round(np.linspace(0, len-1, 50))` (num_frames 50 in the task YAML).

Preprocessing profiles (`load_media(..., profile=)`): `qwen2vl` (default; one smart_resize, torchvision bicubic,
odd T padded with the last frame as the Qwen2-VL processor pads) and `tarsier2` (the official Tarsier2 path:
two Pillow bicubic resizes, per-sample pixel cap, every frame duplicated). See docs/video.md.

Frames are resized a chunk at a time as the decoder hands them over, into the preallocated result, so a long
clip never exists at full size; `decode_threads(workers, cores)` gives the PyAV decoder threads per clip (by
default resolved from the calling DataLoader worker and the rank's cores; `get_backend(threads=...)` fixes it).
"""

from tarsier_eval.video.decode import (
    BACKENDS,
    DEFAULT_BACKEND,
    DecoderFallbackWarning,
    DecordBackend,
    PyAVBackend,
    decode_threads,
    get_backend,
)
from tarsier_eval.video.media import load_media
from tarsier_eval.video.resize import smart_resize
from tarsier_eval.video.sampling import SAMPLERS, frame_indices

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "SAMPLERS",
    "DecoderFallbackWarning",
    "DecordBackend",
    "PyAVBackend",
    "decode_threads",
    "frame_indices",
    "get_backend",
    "load_media",
    "smart_resize",
]
