"""GPU throughput of Tarsier2-7B-sized inference: samples/s and GPU utilisation for batch sizes 1..N.

A full-size Qwen2-VL-7B configuration with random weights (identical compute to Tarsier2-7B), bf16, SDPA or
flash-attn, DREAM-1K-like inputs: 16 frames at 460,800 max pixels (Tarsier2 frames-as-images), a caption prompt,
512 new tokens forced with `min_new_tokens`. Inputs go through the harness's own preprocessor and collate.
Run on a GPU box: `python benchmarks/gpu.py --batch-sizes 1,2,4,8 --samples 16`; append the printout to
benchmarks/RESULTS.md with the date and device. `--smoke` runs the same code on CPU with the tiny checkpoint
(the test suite does, so the script works when a GPU box runs it).
"""

from __future__ import annotations

import argparse
import threading
import time
from functools import partial

import numpy as np
import torch

from tarsier_eval.data.sample import Media, Sample, SourceRef
from tarsier_eval.models.base import PreparedInput
from tarsier_eval.models.tarsier2 import Qwen2VLPreprocessor, Tarsier2Backend, tarsier2
from tarsier_eval.models.tiny import build_processor, ensure_tiny_checkpoint
from tarsier_eval.task import VideoSettings
from tarsier_eval.video.media import double_frames, tarsier2_resize


def qwen2vl_7b_model(attn: str):
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    config = Qwen2VLConfig(
        text_config={"vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
                     "num_attention_heads": 28, "num_key_value_heads": 4, "max_position_embeddings": 32768,
                     "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}, "rope_theta": 1e6},
        vision_config={"depth": 32, "embed_dim": 1280, "hidden_size": 3584, "num_heads": 16, "mlp_ratio": 4},
        attn_implementation=attn,
    )  # fmt: skip
    with torch.device("cuda"):
        model = Qwen2VLForConditionalGeneration(config).to(torch.bfloat16).eval()
    return model


class Utilisation:
    """Samples GPU utilisation (NVML through torch) in a background thread; records nothing when not `active`."""

    def __init__(self, active: bool = True) -> None:
        self.active = active
        self.values: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                self.values.append(float(torch.cuda.utilization()))
            except Exception:
                return
            time.sleep(0.2)

    def __enter__(self) -> Utilisation:
        if self.active:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.active:
            self._thread.join()


def dream1k_like_input(preprocess: Qwen2VLPreprocessor) -> PreparedInput:
    """One sample as the harness prepares a DREAM-1K clip: 16 frames of a 720p video through the tarsier2
    profile (460,800 max pixels, each frame doubled, then given once per image), a caption prompt."""
    raw = np.random.default_rng(0).integers(0, 255, size=(16, 720, 1280, 3), dtype=np.uint8)
    settings = VideoSettings(num_frames=16, sampling="tarsier_uniform", max_pixels=460_800, min_pixels=0)
    frames = double_frames(tarsier2_resize(raw, settings))
    sample = Sample("g/0", "gpu", "all", Media("none"), "Describe the video in detail.", None, SourceRef("x", "/0"))
    return preprocess(sample, frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-sizes", default="1,2,4,8")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=512)
    parser.add_argument("--attn", default="sdpa")
    parser.add_argument("--smoke", action="store_true", help="the same code on CPU with the tiny checkpoint: "
                        "checks the script, measures nothing")  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        backend = tarsier2(pretrained=str(ensure_tiny_checkpoint(variant="random")), device="cpu")
    elif torch.cuda.is_available():  # the harness's real preprocess/collate/generate around a random 7B model
        backend = Tarsier2Backend(
            partial(qwen2vl_7b_model, args.attn), build_processor(), dtype=torch.bfloat16, device="cuda"
        )
    else:
        raise SystemExit("benchmarks/gpu.py needs a CUDA GPU (or --smoke)")
    cuda = backend.device.startswith("cuda")
    prepared = dream1k_like_input(Qwen2VLPreprocessor(backend.processor, "images"))
    grid = prepared.payload["image_grid_thw"]
    device_name = torch.cuda.get_device_name() if cuda else "cpu (smoke run)"
    print(f"device: {device_name}  images per sample: {len(grid)} of {grid[0, 1].item() * 14}x"
          f"{grid[0, 2].item() * 14}  prompt tokens per sample: {len(prepared.payload['input_ids'])}")  # fmt: skip
    generation = {"max_new_tokens": args.new_tokens, "min_new_tokens": args.new_tokens}
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        batch = [prepared] * batch_size
        backend.generate(batch[:1], {"max_new_tokens": 8})  # warm-up
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        with Utilisation(cuda) as util:
            for _ in range(max(1, args.samples // batch_size)):
                outputs = backend.generate(batch, generation)
                assert all(out.error is None for out in outputs), outputs[0].error
            if cuda:
                torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        done = max(1, args.samples // batch_size) * batch_size
        memory = f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if cuda else "n/a"
        print(
            f"batch {batch_size}: {done / elapsed:.3f} samples/s, {done * args.new_tokens / elapsed:.0f} tok/s, "
            f"GPU util mean {np.mean(util.values or [0]):.0f}%, peak mem {memory}"
        )


if __name__ == "__main__":
    main()
