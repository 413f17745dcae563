"""Deterministic synthetic media for the demo task, the tests and the benchmarks, written with PyAV and Pillow."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def moving_square_frames(
    direction: str,
    color: tuple[int, int, int],
    num_frames: int = 24,
    size: int = 112,
    square: int = 20,
    background: tuple[int, int, int] = (96, 96, 96),
    distance: int | None = None,
    center: tuple[int, int] | None = None,
) -> np.ndarray:
    """A square of `color` moving `distance` pixels (default: across the canvas) in `direction` on a `background`
    canvas, its path centred on `center` (the square's top-left corner halfway; default: the canvas centre);
    (T, H, W, 3) uint8."""
    dx, dy = DIRECTIONS[direction]
    frames = np.empty((num_frames, size, size, 3), dtype=np.uint8)
    frames[:] = background
    travel = size - square
    distance = travel if distance is None else distance
    cx, cy = center or (travel / 2, travel / 2)
    for t in range(num_frames):
        progress = t / max(1, num_frames - 1)
        x = min(travel, max(0, int(cx + dx * (progress - 0.5) * distance)))
        y = min(travel, max(0, int(cy + dy * (progress - 0.5) * distance)))
        frames[t, y : y + square, x : x + square] = color
    return frames


def write_video(
    path: Path, frames: np.ndarray, fps: int = 8, codec: str = "mpeg4", options: dict[str, str] | None = None
) -> Path:
    """Encode (T, H, W, 3) uint8 frames; `mpeg4` works with any container name the annotations use (.mp4, .avi)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps, options=options or {})
        stream.height, stream.width = frames.shape[1], frames.shape[2]
        stream.pix_fmt = "yuv420p"
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def indexed_frames(num_frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A seeded texture plus a grey level stepping by 7 per frame (cycle of 200), so neighbouring frames differ."""
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 48, size=(height, width, 3), dtype=np.uint8)
    levels = (np.arange(num_frames) * 7 % 200 + 24).astype(np.uint8)
    return texture[None] + levels[:, None, None, None]


def write_test_video(path: Path, seed: int, num_frames: int = 16, size: int = 64, fps: int = 8) -> Path:
    """A small video whose content depends on `seed` (distinct frames, so frame sampling is observable)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(1, size, size, 3), dtype=np.uint8)
    ramp = np.arange(num_frames, dtype=np.uint16)[:, None, None, None] * 255 // max(1, num_frames - 1)
    frames = ((base.astype(np.uint16) + ramp) % 256).astype(np.uint8)
    return write_video(path, frames, fps=fps)


def write_h264_video(
    path: Path, num_frames: int, height: int = 240, width: int = 320, fps: int = 25, gop: int = 50, seed: int = 0
) -> Path:
    """An H.264 video with B-frames and a keyframe every `gop` frames (what real benchmark videos look like)."""
    frames = indexed_frames(num_frames, height, width, seed)
    return write_video(
        path, frames, fps=fps, codec="libx264", options={"g": str(gop), "bf": "2", "preset": "ultrafast"}
    )


def write_long_video(
    path: Path, seconds: float, height: int = 360, width: int = 640, fps: int = 25, gop: int = 250, chunk: int = 250
) -> Path:
    """A long H.264 video written chunk by chunk (bounded memory); frame t carries grey level t*7 % 200 + 24."""
    path.parent.mkdir(parents=True, exist_ok=True)
    total = round(seconds * fps)
    texture = np.random.default_rng(0).integers(0, 48, size=(height, width, 3), dtype=np.uint8)
    options = {"g": str(gop), "bf": "2", "preset": "ultrafast", "crf": "35"}
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps, options=options)
        stream.height, stream.width, stream.pix_fmt = height, width, "yuv420p"
        for first in range(0, total, chunk):
            for t in range(first, min(total, first + chunk)):
                array = texture + np.uint8(t * 7 % 200 + 24)
                for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_frame_folder(folder: Path, frames: np.ndarray, pattern: str = "{:05d}-rgb.png") -> list[Path]:
    """Write frames as numbered image files (OpenEQA episode histories use `00000-rgb.png`)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / pattern.format(i) for i in range(len(frames))]
    for array, path in zip(frames, paths, strict=True):
        Image.fromarray(array).save(path)
    return paths


def _scene(rng: np.random.Generator, height: int, width: int) -> Image.Image:
    """A colour image with smooth areas, fine texture and hard-edged shapes (compresses like filmed content)."""
    image = np.zeros((height, width, 3), dtype=np.float32)
    for cells, weight in ((3, 110.0), (12, 50.0), (48, 30.0), (height // 3, 60.0)):
        grid = rng.random((cells, max(2, cells * width // height), 3)).astype(np.float32)
        layer = Image.fromarray((grid * 255).astype(np.uint8)).resize((width, height), Image.Resampling.BICUBIC)
        image += np.asarray(layer, dtype=np.float32) / 255 * weight
    canvas = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    for _ in range(12):  # edges and flat areas, as in man-made scenes
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = (x, y, x + int(rng.integers(20, width // 4)), y + int(rng.integers(20, height // 4)))
        canvas.paste(tuple(int(c) for c in rng.integers(0, 256, 3)), box)
    return canvas


def write_realistic_video(
    path: Path,
    seconds: float,
    height: int,
    width: int,
    fps: int = 30,
    keyframe_seconds: tuple[float, float] = (5.0, 7.0),
    crf: int = 23,
    preset: str = "medium",
    seed: int = 0,
) -> Path:
    """H.264 like a web video: x264 `preset` at `crf`, B-frames, a keyframe every 5-7 s (drawn per GOP).

    Each GOP is one shot (a cut at every keyframe): a camera panning at sub-pixel speed over a scene with smooth
    areas, fine texture and hard-edged shapes, a moving object, and film grain, so that motion search, residuals
    and bitrate resemble filmed content (about 1 Mbit/s at 360p, 3 at 720p)."""
    rng = np.random.default_rng(seed)
    total = round(seconds * fps)
    pad = fps  # the camera pans up to 1 px per frame, each shot starting from the middle
    grain = [rng.integers(-8, 9, (height, width, 3), dtype=np.int16) for _ in range(16)]
    options = {"crf": str(crf), "preset": preset, "g": str(round(keyframe_seconds[1] * fps) + 1), "forced-idr": "1"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps, options={**options, "x264-params": "scenecut=0"})
        stream.height, stream.width, stream.pix_fmt = height, width, "yuv420p"
        next_key = 0
        for t in range(total):
            if t == next_key:
                scene = _scene(rng, height + 2 * pad * 4, width + 2 * pad * 4)
                velocity = rng.uniform(-1, 1, 2)
                obj = rng.uniform(0, 1, 4)  # x, y, dx, dy (fractions of the frame)
                shot_start, next_key = t, t + round(rng.uniform(*keyframe_seconds) * fps)
            step = t - shot_start
            x0, y0 = pad * 4 + velocity * step
            view = scene.transform(
                (width, height), Image.Transform.AFFINE, (1, 0, x0, 0, 1, y0), Image.Resampling.BILINEAR
            )
            array = np.asarray(view, dtype=np.int16) + grain[t % len(grain)]
            cx = int((obj[0] + (obj[2] - 0.5) * step / fps / 4) % 1 * width)
            cy = int((obj[1] + (obj[3] - 0.5) * step / fps / 4) % 1 * height)
            array[max(0, cy - height // 18) : cy + height // 18, max(0, cx - width // 24) : cx + width // 24] = (
                200,
                60,
                40,
            )
            frame = av.VideoFrame.from_ndarray(np.clip(array, 0, 255).astype(np.uint8), format="rgb24")
            if t == shot_start:
                frame.pict_type = av.video.frame.PictureType.I
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
