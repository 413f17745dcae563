"""An optional on-disk cache of sampled, resized video frames, bounded in bytes (least recently used goes first).

Key: the video file's SHA-256, the clip bounds, every field of the task's `VideoSettings`, the preprocessing
profile, the decoder backend and `FRAME_PIPELINE_VERSION`; a re-encoded or replaced file therefore misses. The
checksum of a file is computed once per (path, size, mtime, inode) and remembered under `checksums/`.

Entries are `.npy` files written to a temporary name and renamed, so DataLoader workers and torchrun ranks may
share one cache folder; an entry that cannot be read back (disk trouble, a hand-edited folder) is reported,
deleted and decoded again. Decoding errors are never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tarsier_eval.data.files import sha256_file
from tarsier_eval.data.sample import Media
from tarsier_eval.task import VideoSettings

FRAME_PIPELINE_VERSION = 1  # bump when sampling, decoding or resizing changes the frames it produces
STALE_TEMP_SECONDS = 3600  # a temporary file this old belongs to a writer that died
RESCAN_SECONDS = 30.0  # how often a writing process measures the whole folder again


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class FrameCache:
    """Frames of (video, settings) under `root`, at most `max_bytes` in all. Picklable (sent to workers).

    The folder is measured on the first write of a process and again every `RESCAN_SECONDS` (a scan is a stat
    per entry, slow on network file systems); in between a process adds what it wrote itself, and evicts as
    soon as that tally passes the bound. Other processes' writes are seen at the next scan."""

    root: Path
    max_bytes: int
    _tally: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def checksum(self, path: Path) -> str:
        """SHA-256 of the file, remembered for as long as its path, size, mtime and inode stay the same."""
        stat = path.stat()
        memo = self.root / "checksums" / _digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        try:
            return memo.read_text().strip()
        except FileNotFoundError:
            value = sha256_file(path)
            self._write_atomic(memo, lambda fh: fh.write(value.encode()))
            return value

    def key(self, path: Path, media: Media, settings: VideoSettings, profile: str, backend: str) -> str:
        return _digest(
            FRAME_PIPELINE_VERSION, self.checksum(path), media.start, media.end, asdict(settings), profile, backend
        )

    def entry(self, key: str) -> Path:
        return self.root / "frames" / key[:2] / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        path = self.entry(key)
        try:
            frames = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError) as exc:
            print(f"warning: frame cache entry {path} is unreadable ({exc}); decoding again", file=sys.stderr)
            path.unlink(missing_ok=True)
            return None
        os.utime(path)  # recently used
        return frames

    def put(self, key: str, frames: np.ndarray) -> None:
        if frames.nbytes > self.max_bytes:
            return
        self._write_atomic(self.entry(key), lambda fh: np.save(fh, frames, allow_pickle=False))
        now = time.monotonic()
        if "total" not in self._tally or now - self._tally["scanned"] > RESCAN_SECONDS:
            self._tally.update(total=self.size(), scanned=now)
        else:
            self._tally["total"] += frames.nbytes
        if self._tally["total"] > self.max_bytes:
            self._tally.update(total=self.evict(), scanned=now)

    def fetch(self, key: str, produce: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
        """(frames, True) from the cache, else (produce(), False) after storing the produced frames."""
        cached = self.get(key)
        if cached is not None:
            return cached, True
        frames = produce()
        self.put(key, frames)
        return frames, False

    def size(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def evict(self) -> int:
        """Delete the least recently used entries until the cache fits `max_bytes`; returns the bytes left."""
        entries = sorted(self._entries(), key=lambda entry: entry[2])
        total = sum(size for _, size, _ in entries)
        for path, size, _ in entries:
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)  # another process may have evicted it first
            total -= size
        return total

    def _entries(self) -> list[tuple[Path, int, float]]:
        entries = []
        now = time.time()
        for path in (self.root / "frames").glob("*/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.name.startswith(".tmp-"):
                if now - stat.st_mtime > STALE_TEMP_SECONDS:
                    path.unlink(missing_ok=True)
                continue
            entries.append((path, stat.st_size, stat.st_mtime))
        return entries

    @staticmethod
    def _write_atomic(path: Path, write: Callable) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".tmp-{uuid.uuid4().hex}")
        try:
            with temp.open("wb") as fh:
                write(fh)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)


def parse_size(text: str) -> int:
    """'50G', '512M', '2.5GB' or a byte count -> bytes."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned and cleaned[-1] in units else (cleaned, "")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 50G, 512M)") from None
    if value <= 0:
        raise ValueError(f"size must be positive: {text!r}")
    return int(value)
