"""load_media end to end: kinds, Qwen2-VL shapes against the transformers processor, Tarsier2 profile, workers."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from tarsier_eval.data.sample import Media
from tarsier_eval.errors import VideoDecodeError
from tarsier_eval.task import VideoSettings
from tarsier_eval.video import load_media, smart_resize
from tarsier_eval.video.resize import resize_torch
from tarsier_eval.video.synthetic import indexed_frames, write_frame_folder, write_h264_video, write_video


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("media")
    write_h264_video(root / "v" / "wide.mp4", 50, 90, 160, fps=10, gop=10)
    write_video(root / "v" / "tall.avi", indexed_frames(21, 120, 72), fps=7)
    frames = indexed_frames(12, 40, 56, seed=3)
    write_frame_folder(root / "episode", frames)
    for i in range(3):  # OpenEQA folders also hold depth images, which are not frames
        write_frame_folder(root / "episode", frames[:1] // 4, pattern=f"{i:05d}-depth.png")
    write_frame_folder(root / "mvbench_frames", frames, pattern="{:05d}.jpg")
    return root


def test_video_frames_are_sampled_resized_and_even(root):
    settings = VideoSettings(num_frames=5, sampling="uniform", max_pixels=460_800, min_pixels=3136)
    out = load_media(root, Media("v/wide.mp4"), settings)
    h, w = smart_resize(90, 160, 28, 3136, 460_800)
    assert out.shape == (6, h, w, 3) and out.dtype == np.uint8  # 5 frames padded to 6
    assert np.array_equal(out[-1], out[-2])  # padded with the last frame, as the Qwen2-VL processor pads


@pytest.mark.parametrize("backend", ["pyav", "decord"])
def test_shapes_match_the_transformers_qwen2vl_video_processor(root, backend):
    """decord2 decodes the 72-wide tall.avi wrongly on some CPUs (AVX2 AMD EPYC): the decord backend then falls
    back to PyAV for that file with a warning, so the shapes (and frames) are right on any CPU."""
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    from tarsier_eval.video.decode import DecoderFallbackWarning
    from tarsier_eval.video.media import raw_frames

    for name, n, budget in [
        ("wide.mp4", 7, (3136, 460_800)),
        ("tall.avi", 8, (3136, 6_000)),
        ("tall.avi", 3, (20_000, 50_000)),
    ]:
        settings = VideoSettings(num_frames=n, sampling="uniform", min_pixels=budget[0], max_pixels=budget[1])
        processor = Qwen2VLVideoProcessor(min_pixels=budget[0], max_pixels=budget[1], cap_pixels_per_frame=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = np.stack(raw_frames(root, Media(f"v/{name}"), settings, _backend(backend)))
            ours = load_media(root, Media(f"v/{name}"), settings, backend=backend)
        fallbacks = [str(w.message) for w in caught if issubclass(w.category, DecoderFallbackWarning)]
        assert all(f"v/{name}" in message for message in fallbacks)
        assert np.array_equal(raw, raw_frames(root, Media(f"v/{name}"), settings, _backend("pyav")))
        expected = processor(videos=[raw], return_tensors="pt")["video_grid_thw"][0].tolist()
        assert [len(ours) // 2, ours.shape[1] // 14, ours.shape[2] // 14] == expected
        again = processor(videos=[ours], return_tensors="pt")["video_grid_thw"][0].tolist()
        assert again == expected  # the processor keeps our frames as they are


def _backend(name):
    from tarsier_eval.video import get_backend

    return get_backend(name)


def test_identical_to_qwen_vl_utils_fetch_video(root):
    vision = pytest.importorskip("qwen_vl_utils.vision_process")
    import torch

    settings = VideoSettings(num_frames=6, sampling="uniform", min_pixels=3136, max_pixels=460_800)
    ref = vision.fetch_video(
        {"video": str(root / "v/wide.mp4"), "nframes": 6, "min_pixels": 3136, "max_pixels": 460_800}
    )
    ours = load_media(root, Media("v/wide.mp4"), settings)
    assert np.array_equal(ours, ref.round().to(torch.uint8).permute(0, 2, 3, 1).numpy())


def test_tarsier2_profile_doubles_frames_and_resizes_in_two_stages(root):
    settings = VideoSettings(num_frames=4, sampling="tarsier_uniform", max_pixels=460_800, min_pixels=0)
    out = load_media(root, Media("v/tall.avi"), settings, profile="tarsier2")
    # stage 1: 120x72 within budget keeps its size (factor 1); stage 2: round to 28 -> 112x84
    assert out.shape == (8, 112, 84, 3)
    assert all(np.array_equal(out[2 * i], out[2 * i + 1]) for i in range(4))
    # the per-sample cap: 128*384*384 // (2*T) pixels per frame binds for long clips
    many = VideoSettings(num_frames=21, sampling="tarsier_uniform", max_pixels=460_800, min_pixels=0)
    assert load_media(root, Media("v/tall.avi"), many, profile="tarsier2").shape == (42, 112, 84, 3)
    capped = load_media(
        root, Media("v/tall.avi"), VideoSettings(num_frames=4, max_pixels=2000, min_pixels=0), profile="tarsier2"
    )
    # stage 1: smart_resize(120, 72, factor 1, max 2000) = (57, 34); stage 2 rounds to (56, 28) = 1568 pixels,
    # under the processor's 56*56 minimum, so it scales up: ceil(57*1.245/28)*28, ceil(34*1.245/28)*28
    assert capped.shape[1:3] == (84, 56)


def test_openeqa_frame_folder_uses_rgb_frames_in_order(root):
    settings = VideoSettings(num_frames=5, sampling="openeqa", min_pixels=3136, max_pixels=460_800)
    out = load_media(root, Media("episode", kind="frames"), settings)
    frames = indexed_frames(12, 40, 56, seed=3)
    picked = [int(i) for i in np.round(np.linspace(0, 11, 5))]  # 0, 3, 6, 8, 11
    h, w = smart_resize(40, 56, 28, 3136, 460_800)
    assert out.shape == (6, h, w, 3)
    assert np.array_equal(out[:5], resize_torch(frames[picked], h, w))


def test_mvbench_frame_folder_is_one_based(root):
    settings = VideoSettings(num_frames=3, sampling="segment_midpoint", min_pixels=3136, max_pixels=460_800)
    out = load_media(root, Media("mvbench_frames", kind="frames"), settings)
    # get_index(None, 3, max_frame=12, first_idx=1): seg 11/3 -> int(1 + 1.83 + round(3.67 i)) = 2, 6, 9 (1-based)
    expected = load_media(
        root,
        Media(
            "",
            kind="images",
            images=("mvbench_frames/00001.jpg", "mvbench_frames/00005.jpg", "mvbench_frames/00008.jpg"),
        ),
        settings,
    )
    assert np.array_equal(out, expected)


def test_image_list_of_mixed_sizes(tmp_path):
    write_frame_folder(tmp_path, indexed_frames(1, 60, 80), pattern="a{}.png")
    write_frame_folder(tmp_path, indexed_frames(2, 30, 30), pattern="b{}.png")
    settings = VideoSettings(num_frames=None, min_pixels=3136, max_pixels=460_800)
    out = load_media(tmp_path, Media("", kind="images", images=("a0.png", "b0.png", "b1.png")), settings)
    assert out.shape == (4, *smart_resize(60, 80, 28, 3136, 460_800), 3)


def test_missing_media_raise_video_decode_error(tmp_path, root):
    settings = VideoSettings(num_frames=4)
    cases = [Media("nope.mp4"), Media("nope", kind="frames"), Media("", kind="images", images=("x.png",))]
    for media in cases:
        with pytest.raises(VideoDecodeError):
            load_media(tmp_path, media, settings)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(VideoDecodeError, match="cannot read image"):
        load_media(tmp_path, Media("", kind="images", images=("bad.png",)), settings)
    with pytest.raises(VideoDecodeError, match="empty time range"):
        load_media(root, Media("v/wide.mp4", start=9.0, end=9.5), settings)


class _Clips:
    def __init__(self, root: Path):
        self.root = root
        self.settings = VideoSettings(num_frames=4, sampling="segment_midpoint", min_pixels=3136, max_pixels=460_800)

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> np.ndarray:
        return load_media(self.root, Media(["v/wide.mp4", "v/tall.avi"][i]), self.settings)


def test_usable_from_dataloader_worker_processes(root):
    from torch.utils.data import DataLoader

    loader = DataLoader(_Clips(root), batch_size=None, num_workers=2)
    in_workers = [np.asarray(x) for x in loader]
    in_process = [_Clips(root)[i] for i in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(in_workers, in_process, strict=True))


@pytest.mark.parametrize("size", [(90, 160), (84, 140), (252, 448), (31, 57), (120, 72)], ids=str)
def test_resize_torch_is_bit_identical_to_torchvision_on_uint8(size):
    """The resize qwen_vl_utils.fetch_video does (torchvision, uint8 channels-last view), down and up, odd sizes."""
    import torch
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as tvf

    rng = np.random.default_rng(7)
    frames = rng.integers(0, 256, size=(3, 120, 200, 3), dtype=np.uint8)
    frames[1] = np.where(rng.random((120, 200, 1)) < 0.5, 0, 255)  # hard edges: bicubic overshoots, clamping counts
    reference = tvf.resize(
        torch.from_numpy(frames).permute(0, 3, 1, 2),
        list(size),
        interpolation=InterpolationMode.BICUBIC,
        antialias=True,
    )
    expected = reference.permute(0, 2, 3, 1).numpy()
    assert np.array_equal(resize_torch(frames, *size), expected)
    assert np.array_equal(resize_torch(list(frames), *size), expected)  # a list of frames is not stacked first
    frames.flags.writeable = False
    assert np.array_equal(resize_torch(frames, *size), expected)
    out = np.zeros((3, *size, 3), dtype=np.uint8)
    assert resize_torch(frames, *size, out=out) is out and np.array_equal(out, expected)


def test_resize_in_chunks_is_bit_identical_to_one_batch(monkeypatch):
    """Each frame is interpolated on its own: chunks of 1, 2 or 3 frames give torchvision's whole-batch result."""
    import torch
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as tvf

    from tarsier_eval.video import resize

    frames = np.random.default_rng(3).integers(0, 256, size=(7, 90, 160, 3), dtype=np.uint8)
    whole = tvf.resize(
        torch.from_numpy(frames).permute(0, 3, 1, 2), [56, 112], InterpolationMode.BICUBIC, antialias=True
    )
    expected = whole.permute(0, 2, 3, 1).numpy()
    per_frame = 90 * 160 * 3 * 4
    monkeypatch.setattr(resize, "MIN_CHUNK_FRAMES", 1)
    for frames_per_chunk in (1, 2, 3):
        monkeypatch.setattr(resize, "CHUNK_BYTES", frames_per_chunk * per_frame)
        assert resize.chunk_frames(90, 160) == frames_per_chunk
        assert np.array_equal(resize_torch(frames, 56, 112), expected)


def test_chunked_resize_takes_frames_in_any_order_and_repeats(monkeypatch):
    from tarsier_eval.video import resize
    from tarsier_eval.video.media import ChunkedResize, qwen2vl_plan

    monkeypatch.setattr(resize, "MIN_CHUNK_FRAMES", 1)
    monkeypatch.setattr(resize, "CHUNK_BYTES", 2 * 90 * 160 * 3 * 4)  # two frames per chunk
    frames = indexed_frames(5, 90, 160)
    settings = VideoSettings(num_frames=7, min_pixels=3136, max_pixels=6000)
    size = smart_resize(90, 160, 28, 3136, 6000)
    expected = resize_torch(frames, *size)
    sink = ChunkedResize(7, lambda h, w: qwen2vl_plan(settings, 7, h, w))
    for index, positions in [(3, [4]), (0, [0, 1]), (1, [2]), (2, [3]), (4, [5, 6])]:
        sink.put(frames[index], positions)
    assert np.array_equal(sink.result(), expected[[0, 0, 1, 2, 3, 4, 4]])


@pytest.mark.parametrize("profile", ["qwen2vl", "tarsier2"])
def test_streamed_resize_equals_resizing_the_decoded_clip(root, profile, monkeypatch):
    """load_media resizes chunks as the decoder hands them over, into their final places: the same frames as
    decoding, resizing, then padding or doubling."""
    from tarsier_eval.video import resize
    from tarsier_eval.video.media import qwen2vl_resize, raw_frames, tarsier2_resize

    monkeypatch.setattr(resize, "CHUNK_BYTES", 3 * 90 * 160 * 3 * 4)  # three frames per chunk
    settings = VideoSettings(num_frames=11, sampling="uniform", min_pixels=3136, max_pixels=20_000)
    raw = raw_frames(root, Media("v/wide.mp4"), settings, _backend("pyav"))
    resized = {"qwen2vl": qwen2vl_resize, "tarsier2": tarsier2_resize}[profile](raw, settings)
    # 11 frames: Qwen2-VL pads with the last one, Tarsier2 shows each twice (written in place as they come)
    padded = np.concatenate([resized, resized[-1:]])
    expected = padded if profile == "qwen2vl" else np.repeat(resized, 2, axis=0)
    assert np.array_equal(load_media(root, Media("v/wide.mp4"), settings, profile=profile), expected)
