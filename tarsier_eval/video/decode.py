"""Decoder backends (PyAV, decord) behind one interface; every requested frame must come back or it is an error.

A backend is a small picklable dataclass (safe to hand to DataLoader workers): `open(path)` returns a reader that
knows the clip's frame count and fps and either hands the frames at given indices one by one to a callback
(`stream`: each distinct frame once, with the positions of the request it fills, so a caller can resize it and
let it go) or returns them stacked in the order asked (`read`; repeats allowed). Readers check their own output:
a frame that is missing, a decode that stops early, a file shorter than its container header declares, frames of
another size than the stream declares, all raise `VideoDecodeError` naming the file.

Decoder threads: `PyAVBackend(threads=None)` (the default) takes `decode_threads()`, the cores this rank may use
shared among the processes that decode at once (the DataLoader workers, or the main process alone).
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from tarsier_eval.errors import VideoDecodeError

MAX_DECODE_THREADS = 8  # FFmpeg frame threads beyond this add latency and memory, little speed
DECORD_BATCH_BYTES = 16 << 20  # decoded RGB held at once by a decord read

Emit = Callable[[np.ndarray, list[int]], None]
"""Receives one decoded (H, W, 3) uint8 frame and the positions in the request that it fills."""


class Reader(Protocol):
    total: int
    fps: float

    def stream(self, indices: Sequence[int], emit: Emit) -> None: ...

    def read(self, indices: Sequence[int]) -> np.ndarray: ...


class Backend(Protocol):
    name: str

    def open(self, path: Path) -> contextlib.AbstractContextManager[Reader]: ...


def available_cores() -> int:
    """The CPU cores of this rank: those this process may run on, shared by the node's torchrun ranks."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))


def decode_threads(workers: int | None = None, cores: int | None = None) -> int:
    """FFmpeg threads per clip: `cores` (default `available_cores()`) shared by the processes decoding at once,
    the `workers` DataLoader workers or, with 0, the process itself; 1 when workers >= cores, at most
    MAX_DECODE_THREADS. `workers` defaults to the calling DataLoader worker's `num_workers` (0 outside one)."""
    if workers is None:
        workers = 0
        if "torch" in sys.modules:  # only a torch DataLoader worker has worker info
            from torch.utils.data import get_worker_info

            info = get_worker_info()
            workers = info.num_workers if info is not None else 0
    cores = cores or available_cores()
    return max(1, min(MAX_DECODE_THREADS, cores // max(1, workers)))


def positions_of(indices: Sequence[int]) -> dict[int, list[int]]:
    """Frame index -> the positions of the request that ask for it, in ascending frame order."""
    where: dict[int, list[int]] = {}
    for position, index in enumerate(indices):
        where.setdefault(index, []).append(position)
    return dict(sorted(where.items()))


def collect(reader: Reader, indices: Sequence[int]) -> np.ndarray:
    """`reader.stream` into one preallocated (len(indices), H, W, 3) array, in the order asked."""
    out: np.ndarray | None = None

    def emit(frame: np.ndarray, positions: list[int]) -> None:
        nonlocal out
        if out is None:
            out = np.empty((len(indices), *frame.shape), dtype=frame.dtype)
        out[positions] = frame

    reader.stream(indices, emit)
    if out is None:
        raise ValueError("no frames requested")
    return out


def check_file(path: Path) -> None:
    """Missing and zero-byte files fail before any decoder sees them."""
    if not path.is_file():
        raise VideoDecodeError("video file not found", file=str(path))
    if path.stat().st_size == 0:
        raise VideoDecodeError("video file is empty (0 bytes)", file=str(path))


def _check_indices(indices: Sequence[int], total: int, path: Path) -> None:
    bad = [i for i in indices if not 0 <= i < total]
    if bad:
        raise VideoDecodeError(f"frame indices {bad[:5]} outside the video's {total} frames", file=str(path))


@dataclass(frozen=True)
class StreamInfo:
    """What the container header declares: frame count (0 when it declares none, e.g. many .mkv/.webm), size."""

    frames: int
    height: int
    width: int


def stream_info(path: Path) -> StreamInfo:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return StreamInfo(int(stream.frames or 0), stream.codec_context.height, stream.codec_context.width)
    except (av.error.FFmpegError, IndexError) as exc:
        raise VideoDecodeError(f"cannot open video: {exc}", file=str(path)) from exc


class PyAVReader:
    """Decodes only what the requested frames need, using a packet index built at open.

    Frame index = presentation time x average frame rate (exact for the constant-rate benchmark videos). For
    each requested frame the reader finds its packet and the last keyframe before it (in decode order, at or
    before it in display order, so open-GOP leading frames get the previous GOP too); only the packets of these
    spans are sent to the decoder, and inside a span FFmpeg skips non-reference packets that are not requested
    (nothing is predicted from them, so every kept frame is bit-identical to a full sequential decode). Only
    requested frames are converted to RGB. A file whose packets lack timestamps, or share them, is decoded
    plainly from the start. A requested index that never comes back is retried with a plain decode, then is an
    error: a truncated file or broken timestamps never yield a silently wrong or shorter clip.
    """

    def __init__(self, container: av.container.InputContainer, path: Path, threads: int, skip_nonref: bool):
        self.path = path
        self.threads = threads
        self.skip_nonref = skip_nonref
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate:
            raise VideoDecodeError("video stream declares no frame rate", file=str(path))
        self.rate = Fraction(rate)
        self.fps = float(rate)
        self.time_base = Fraction(stream.time_base)
        scale = self.time_base * self.rate  # frames per pts tick, exact
        self._scale_num, self._scale_den = scale.numerator, scale.denominator
        pts = self._packet_pts(container)
        # the first presentation time, not `start_time`: AVI with B-frames declares 0 but its frames start at 1
        self.start = min((t for t, _ in pts if t is not None), default=stream.start_time or 0)
        self.packets = [(None if t is None else self._to_index(t), key) for t, key in pts]
        self.total = int(stream.frames or 0) or len(self.packets)
        self._reformatter = VideoReformatter()

    def _to_index(self, pts: int) -> int:
        """The frame index of `pts`: round((pts - start) * time_base * rate), half to even, in exact integer
        arithmetic (Fraction arithmetic here cost ~8 % of a short clip's decode)."""
        whole, rest = divmod((pts - self.start) * self._scale_num, self._scale_den)
        twice = 2 * rest
        return whole + (twice > self._scale_den or (twice == self._scale_den and whole % 2 == 1))

    def _packet_pts(self, container: av.container.InputContainer) -> list[tuple[int | None, bool]]:
        """(pts, keyframe) of every packet in decode order (demuxing without decoding is cheap)."""
        try:
            return [(p.pts, p.is_keyframe) for p in container.demux(container.streams.video[0]) if p.size]
        except av.error.FFmpegError as exc:
            raise VideoDecodeError(f"cannot read video packets: {exc}", file=str(self.path)) from exc

    def spans(self, wanted: Sequence[int]) -> list[tuple[int, int]] | None:
        """Merged [first, last] packet positions to decode for the `wanted` (sorted) frames; None = decode plainly."""
        position: dict[int, int] = {}
        for pos, (index, _) in enumerate(self.packets):
            if index is None or index in position:
                return None
            position[index] = pos
        keys = [pos for pos, (_, key) in enumerate(self.packets) if key]
        spans: list[tuple[int, int]] = []
        for target in wanted:
            end = position.get(target)
            if end is None:
                return None
            k = bisect.bisect_right(keys, end) - 1
            while k >= 0 and self.packets[keys[k]][0] > target:  # open GOP: a leading frame needs the GOP before
                k -= 1
            spans.append((keys[k] if k >= 0 else 0, end))
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def stream(self, indices: Sequence[int], emit: Emit) -> None:
        _check_indices(indices, self.total, self.path)
        where = positions_of(indices)
        wanted = list(where)
        try:
            done = self._decode(wanted, self.spans(wanted), where, emit)
            if len(done) < len(wanted):  # never trust the plan for a frame it may have cost: decode plainly
                done |= self._decode([i for i in wanted if i not in done], None, where, emit)
        except av.error.FFmpegError as exc:
            raise VideoDecodeError(f"cannot decode video: {exc}", file=str(self.path)) from exc
        missing = [i for i in wanted if i not in done]
        if missing:
            raise VideoDecodeError(
                f"decoded {len(wanted) - len(missing)} of {len(wanted)} requested frames (missing indices "
                f"{missing[:5]}); the file is truncated or its timestamps are broken",
                file=str(self.path),
            )

    def read(self, indices: Sequence[int]) -> np.ndarray:
        return collect(self, indices)

    def _decode(
        self, wanted: list[int], spans: list[tuple[int, int]] | None, where: dict[int, list[int]], emit: Emit
    ) -> set[int]:
        """Emit the `wanted` frames that come out of decoding the `spans` (None: every packet in order); returns
        the indices emitted."""
        wanted_set = set(wanted)
        done: set[int] = set()
        if not wanted:
            return done

        def take(frames: Iterable[av.VideoFrame]) -> None:
            for frame in frames:
                if frame.pts is None:
                    raise VideoDecodeError("decoded frame has no timestamp", file=str(self.path))
                index = self._to_index(frame.pts)
                if index in wanted_set and index not in done:
                    done.add(index)
                    emit(self._reformatter.reformat(frame, format="rgb24").to_ndarray(), where[index])

        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            if self.threads != 1:
                stream.thread_type = "AUTO"
                stream.thread_count = self.threads
            context = stream.codec_context
            span = iter(spans if spans is not None else [(0, sys.maxsize)])
            first, end = next(span)
            skip = "DEFAULT"
            position = -1
            for packet in container.demux(stream):
                if not packet.size:
                    continue
                position += 1
                if position > end:
                    nxt = next(span, None)
                    if nxt is None:
                        break
                    first, end = nxt
                if position < first:
                    continue
                if spans is not None and self.skip_nonref:
                    index = None if packet.pts is None else self._to_index(packet.pts)
                    mode = "DEFAULT" if index in wanted_set else "NONREF"
                    if mode != skip:
                        context.skip_frame = skip = mode
                take(context.decode(packet))
                if spans is None and len(done) == len(wanted_set):
                    break
            context.skip_frame = "DEFAULT"
            take(context.decode(None))
        return done


@dataclass(frozen=True)
class PyAVBackend:
    """PyAV (FFmpeg) decoding of only the packets the requested frames depend on (see `PyAVReader`).

    `threads`: FFmpeg frame/slice threads per clip; None (default) = `decode_threads()` when the clip is opened
    (the rank's cores shared by the processes decoding at once). `skip_nonref` lets FFmpeg drop unrequested
    non-reference frames inside a span. Frames are bit-identical whatever the threads and skipping."""

    threads: int | None = None
    skip_nonref: bool = True
    name: str = "pyav"

    @contextlib.contextmanager
    def open(self, path: Path) -> Iterator[PyAVReader]:
        check_file(path)
        try:
            container = av.open(str(path))
        except av.error.FFmpegError as exc:
            raise VideoDecodeError(f"cannot open video: {exc}", file=str(path)) from exc
        try:
            if not container.streams.video:
                raise VideoDecodeError("file has no video stream", file=str(path))
            threads = self.threads if self.threads is not None else decode_threads()
            reader = PyAVReader(container, path, threads, self.skip_nonref)
        finally:
            container.close()
        yield reader


class DecoderFallbackWarning(UserWarning):
    """A backend cannot decode a file correctly on this machine; another one decodes it."""


class DecordReader:
    """decord's own frame index (built from the packets at open) and `get_batch`, checked against the header:
    frame count (a truncated file) and frame shape (height, width, 3 channels)."""

    def __init__(self, reader, path: Path, info: StreamInfo):  # reader: decord.VideoReader
        self.reader = reader
        self.path = path
        self.total = len(reader)
        self.fps = float(reader.get_avg_fps())
        self.shape = (info.height, info.width, 3)
        if info.frames and self.total < info.frames - 1:
            raise VideoDecodeError(
                f"container declares {info.frames} frames but only {self.total} are readable (truncated file)",
                file=str(path),
            )

    def stream(self, indices: Sequence[int], emit: Emit) -> None:
        """Sorted unique indices through `get_batch`, at most DECORD_BATCH_BYTES of frames per call."""
        _check_indices(indices, self.total, self.path)
        where = positions_of(indices)
        unique = list(where)
        step = max(1, DECORD_BATCH_BYTES // int(np.prod(self.shape)))
        for first in range(0, len(unique), step):
            batch = unique[first : first + step]
            for index, frame in zip(batch, self._batch(batch), strict=True):
                emit(frame, where[index])

    def read(self, indices: Sequence[int]) -> np.ndarray:
        return collect(self, indices)

    def _batch(self, indices: list[int]) -> np.ndarray:
        import decord

        try:
            frames = self.reader.get_batch(indices).asnumpy()
        except (decord.DECORDError, RuntimeError, IndexError) as exc:
            raise VideoDecodeError(f"cannot decode video: {exc}", file=str(self.path)) from exc
        if frames.shape != (len(indices), *self.shape):
            raise VideoDecodeError(
                f"decord returned frames of shape {frames.shape}, expected {(len(indices), *self.shape)}",
                file=str(self.path),
            )
        return frames


def decord_frame_shape(reader) -> tuple[int, ...]:
    """The shape of the first frame decord decodes (then rewound). decord2 on some CPUs returns rows padded
    for alignment as extra 'channels', e.g. (120, 72, 4) for a 72-wide stream, and `get_batch` then fails."""
    shape = tuple(reader.next().shape)
    reader.seek(0)
    return shape


@dataclass(frozen=True)
class DecordBackend:
    """decord (the decord2 wheels). `threads` = 0 lets FFmpeg choose; 1 is what the Tarsier2 code uses.

    Each file's first frame is checked against the stream's height, width and 3 channels when it is opened;
    where decord gets them wrong on this machine, the file is decoded with PyAV instead (the same frames, with
    a `DecoderFallbackWarning` naming the file), or with `fallback=False` it is a `VideoDecodeError`."""

    threads: int = 1
    fallback: bool = True
    name: str = "decord"

    @contextlib.contextmanager
    def open(self, path: Path) -> Iterator[DecordReader | PyAVReader]:
        import decord

        check_file(path)
        info = stream_info(path)
        try:
            reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=self.threads)
            shape = decord_frame_shape(reader)
        except (decord.DECORDError, RuntimeError, StopIteration) as exc:
            raise VideoDecodeError(f"cannot open video: {exc}", file=str(path)) from exc
        if shape == (info.height, info.width, 3):
            yield DecordReader(reader, path, info)
            return
        problem = f"decord decodes {info.width}x{info.height} RGB frames as arrays of shape {shape} on this CPU"
        if not self.fallback:
            raise VideoDecodeError(f"{problem} (DecordBackend(fallback=False))", file=str(path))
        warnings.warn(f"{problem}; decoding {path} with PyAV instead", DecoderFallbackWarning, stacklevel=3)
        with PyAVBackend(threads=self.threads or None).open(path) as fallback:
            yield fallback


BACKENDS: dict[str, Backend] = {"pyav": PyAVBackend(), "decord": DecordBackend()}
DEFAULT_BACKEND = "pyav"


def get_backend(name: str | None = None, threads: int | None = None) -> Backend:
    """The backend called `name` (default `pyav`); `threads` overrides its decoder threads (see `decode_threads`)."""
    try:
        backend = BACKENDS[name or DEFAULT_BACKEND]
    except KeyError:
        raise ValueError(f"unknown video backend '{name}' (known: {sorted(BACKENDS)})") from None
    return backend if threads is None else dataclasses.replace(backend, threads=threads)
