"""The optional frame cache: same frames as decoding, keyed by file content and settings, bounded, self-repairing."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tarsier_eval.data.sample import Media
from tarsier_eval.errors import VideoDecodeError
from tarsier_eval.task import VideoSettings
from tarsier_eval.video import load_media
from tarsier_eval.video.frame_cache import FrameCache, parse_size
from tarsier_eval.video.media import load_media_cached
from tarsier_eval.video.synthetic import write_frame_folder, write_h264_video, write_test_video

SETTINGS = VideoSettings(num_frames=6, sampling="uniform", max_pixels=20_000, min_pixels=3136)


@dataclass(frozen=True)
class RefusingBackend:
    """A decoder that must not be reached: every open fails."""

    name: str = "pyav"

    @contextlib.contextmanager
    def open(self, path: Path):
        raise AssertionError(f"decoded {path} although its frames are cached")
        yield


@pytest.fixture
def videos(tmp_path) -> Path:
    write_h264_video(tmp_path / "a.mp4", 40, 90, 160, fps=10, gop=10)
    write_test_video(tmp_path / "b.mp4", seed=1, num_frames=24, size=96)
    return tmp_path


def cache_in(tmp_path: Path, max_bytes: int = 1 << 30) -> FrameCache:
    return FrameCache(tmp_path / "cache", max_bytes)


@pytest.mark.parametrize("profile", ["qwen2vl", "tarsier2"])
def test_a_hit_returns_the_decoded_frames_without_decoding(videos, tmp_path, profile):
    cache = cache_in(tmp_path)
    expected = load_media(videos, Media("a.mp4"), SETTINGS, profile=profile)
    first, hit_first = load_media_cached(videos, Media("a.mp4"), SETTINGS, profile=profile, cache=cache)
    again, hit_again = load_media_cached(
        videos, Media("a.mp4"), SETTINGS, profile=profile, cache=cache, backend=RefusingBackend()
    )
    assert (hit_first, hit_again) == (False, True)
    assert np.array_equal(first, expected) and np.array_equal(again, expected)
    assert again.dtype == np.uint8


def test_tarsier2_entries_hold_each_frame_once(videos, tmp_path):
    cache = cache_in(tmp_path)
    frames = load_media(videos, Media("a.mp4"), SETTINGS, profile="tarsier2", cache=cache)
    assert cache.size() < frames.nbytes  # the doubling happens after the cache
    assert cache.size() >= frames.nbytes // 2


def test_the_key_covers_settings_bounds_profile_and_backend(videos, tmp_path):
    cache = cache_in(tmp_path)
    path = videos / "a.mp4"
    base = cache.key(path, Media("a.mp4"), SETTINGS, "qwen2vl", "pyav")
    variants = [
        cache.key(path, Media("a.mp4"), VideoSettings(**{**SETTINGS.__dict__, "num_frames": 8}), "qwen2vl", "pyav"),
        cache.key(
            path, Media("a.mp4"), VideoSettings(**{**SETTINGS.__dict__, "max_pixels": 30_000}), "qwen2vl", "pyav"
        ),
        cache.key(path, Media("a.mp4", start=0.5, end=2.0), SETTINGS, "qwen2vl", "pyav"),
        cache.key(path, Media("a.mp4"), SETTINGS, "tarsier2", "pyav"),
        cache.key(path, Media("a.mp4"), SETTINGS, "qwen2vl", "decord"),
        cache.key(videos / "b.mp4", Media("b.mp4"), SETTINGS, "qwen2vl", "pyav"),
    ]
    assert len({base, *variants}) == 1 + len(variants)
    assert base == cache.key(path, Media("a.mp4"), SETTINGS, "qwen2vl", "pyav")


def test_a_replaced_video_misses(videos, tmp_path):
    cache = cache_in(tmp_path)
    load_media(videos, Media("b.mp4"), SETTINGS, cache=cache)
    write_test_video(videos / "b.mp4", seed=7, num_frames=24, size=96)  # new content under the same name
    fresh = load_media(videos, Media("b.mp4"), SETTINGS)
    frames, hit = load_media_cached(videos, Media("b.mp4"), SETTINGS, cache=cache)
    assert not hit and np.array_equal(frames, fresh)


def test_the_checksum_is_remembered_per_file_state(videos, tmp_path):
    cache = cache_in(tmp_path)
    value = cache.checksum(videos / "a.mp4")
    memo = list((cache.root / "checksums").iterdir())
    assert len(memo) == 1 and memo[0].read_text() == value
    stat = (videos / "a.mp4").stat()
    os.utime(videos / "a.mp4", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cache.checksum(videos / "a.mp4") == value
    assert len(list((cache.root / "checksums").iterdir())) == 2  # a touched file is hashed again


def test_the_cache_stays_within_its_bound_dropping_the_least_recently_used(videos, tmp_path):
    # three entries of the same size: `min_frames` is part of the key but unused by uniform sampling
    variants = [VideoSettings(**{**SETTINGS.__dict__, "min_frames": i}) for i in range(3)]
    one = load_media(videos, Media("a.mp4"), SETTINGS).nbytes
    cache = cache_in(tmp_path, max_bytes=int(2.5 * one))
    keys = [cache.key(videos / "a.mp4", Media("a.mp4"), s, "qwen2vl", "pyav") for s in variants]
    for settings in variants[:2]:
        load_media(videos, Media("a.mp4"), settings, cache=cache)
    now = os.stat(cache.entry(keys[1])).st_mtime
    os.utime(cache.entry(keys[0]), (now - 20, now - 20))
    os.utime(cache.entry(keys[1]), (now - 10, now - 10))
    assert cache.get(keys[0]) is not None  # a hit makes entry 0 the most recently used
    load_media(videos, Media("a.mp4"), variants[2], cache=cache)
    assert cache.size() <= cache.max_bytes
    assert [cache.entry(k).exists() for k in keys] == [True, False, True]


def test_an_entry_larger_than_the_bound_is_not_stored(videos, tmp_path):
    cache = cache_in(tmp_path, max_bytes=1000)
    frames, hit = load_media_cached(videos, Media("a.mp4"), SETTINGS, cache=cache)
    assert not hit and frames.nbytes > 1000 and cache.size() == 0


def test_a_corrupt_entry_is_reported_and_decoded_again(videos, tmp_path, capsys):
    cache = cache_in(tmp_path)
    expected = load_media(videos, Media("a.mp4"), SETTINGS, cache=cache)
    entry = cache.entry(cache.key(videos / "a.mp4", Media("a.mp4"), SETTINGS, "qwen2vl", "pyav"))
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    frames, hit = load_media_cached(videos, Media("a.mp4"), SETTINGS, cache=cache)
    assert not hit and np.array_equal(frames, expected)
    assert f"frame cache entry {entry} is unreadable" in capsys.readouterr().err
    assert np.array_equal(np.load(entry), expected)  # rewritten whole


def test_decode_errors_are_raised_and_not_cached(tmp_path):
    cache = cache_in(tmp_path)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoDecodeError, match="empty"):
        load_media(tmp_path, Media("empty.mp4"), SETTINGS, cache=cache)
    with pytest.raises(VideoDecodeError, match="not found"):
        load_media(tmp_path, Media("missing.mp4"), SETTINGS, cache=cache)
    assert cache.size() == 0


def test_frame_folders_are_read_directly(tmp_path):
    cache = cache_in(tmp_path)
    write_frame_folder(tmp_path / "episode", np.zeros((4, 56, 56, 3), np.uint8))
    settings = VideoSettings(num_frames=4, sampling="uniform")
    frames, hit = load_media_cached(tmp_path, Media("episode", kind="frames"), settings, cache=cache)
    assert not hit and len(frames) == 4 and cache.size() == 0


def test_stale_temporary_files_of_dead_writers_are_removed(videos, tmp_path):
    cache = cache_in(tmp_path)
    load_media(videos, Media("a.mp4"), SETTINGS, cache=cache)
    leftover = next((cache.root / "frames").glob("*/")) / ".tmp-deadbeef"
    leftover.write_bytes(b"x" * 10)
    os.utime(leftover, (1, 1))
    cache.evict()
    assert not leftover.exists()


@pytest.mark.parametrize(
    ("text", "expected"), [("50G", 50 << 30), ("512M", 512 << 20), ("2.5GB", int(2.5 * (1 << 30))), ("1GiB", 1 << 30),
                           ("4096", 4096)]
)  # fmt: skip
def test_sizes_parse(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "-1G", "0"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_a_process_measures_the_folder_on_its_first_write(videos, tmp_path):
    variants = [VideoSettings(**{**SETTINGS.__dict__, "min_frames": i}) for i in range(3)]
    one = load_media(videos, Media("a.mp4"), SETTINGS).nbytes
    writer_a = cache_in(tmp_path, max_bytes=int(2.5 * one))
    writer_b = FrameCache(writer_a.root, writer_a.max_bytes)  # another process on the same folder
    for settings in variants[:2]:
        load_media(videos, Media("a.mp4"), settings, cache=writer_a)
    load_media(videos, Media("a.mp4"), variants[2], cache=writer_b)  # b's tally starts from a scan: 3 entries
    assert writer_b.size() <= writer_b.max_bytes
    assert len(list((writer_a.root / "frames").glob("*/*.npy"))) == 2
