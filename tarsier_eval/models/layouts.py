"""The weight-name layouts a Tarsier2 / Qwen2-VL checkpoint comes in, and one explicit map from each to the names
of transformers 5's `Qwen2VLForConditionalGeneration` (`model.visual.*`, `model.language_model.*`, `lm_head.*`).

- `qwen2vl`: those names themselves (checkpoints saved by transformers 4.52 to 4.x).
- `qwen2vl-legacy`: `visual.*`, `model.*`, `lm_head.*` (Qwen2-VL's release, transformers < 4.52, and what
  transformers 5's `save_pretrained` writes back).
- `tarsier2`: bytedance/tarsier (branch tarsier2, models/modeling_tarsier.py) `TarsierForConditionalGeneration`:
  modules `vision_tower` (the Qwen2-VL vision transformer), `language_model` (a Qwen2-VL causal LM: `.model`,
  `.lm_head`) and an optional `multi_modal_projector` that its Qwen2-VL branch never calls. vLLM's
  `Tarsier2ForConditionalGeneration` reads the released checkpoint by mapping `vision_tower.` to `visual.` only,
  the rest being its own `language_model.model.*` / `language_model.lm_head.*` names.
- `vllm`: vLLM's Qwen2-VL module names: `visual.*`, `language_model.model.*`, `language_model.lm_head.*`.

The map is a rename of names during loading (transformers' `key_mapping`), so no second copy of the weights exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TARGETS = ("model.visual.", "model.language_model.", "lm_head.")
RENAMES = {
    "vision_tower.": "model.visual.",
    "visual.": "model.visual.",
    "language_model.model.": "model.language_model.",
    "language_model.lm_head.": "lm_head.",
    "model.": "model.language_model.",  # legacy text model; `model.visual.`/`model.language_model.` are targets
}
PROJECTOR = "multi_modal_projector."
BUFFERS = ("rotary_emb.inv_freq", "rotary_pos_emb.inv_freq")  # computed from the config; some old files hold them


@dataclass(frozen=True)
class Layout:
    name: str
    prefixes: tuple[str, ...]
    optional: tuple[str, ...] = ()  # prefixes a checkpoint of this layout may also hold


LAYOUTS = (
    Layout("qwen2vl", TARGETS),
    Layout("qwen2vl-legacy", ("visual.", "model.", "lm_head.")),
    Layout("tarsier2", ("vision_tower.", "language_model.model.", "language_model.lm_head."), (PROJECTOR,)),
    Layout("vllm", ("visual.", "language_model.model.", "language_model.lm_head.")),
)
_PREFIXES = sorted({*TARGETS, *RENAMES, PROJECTOR}, key=len, reverse=True)


def is_buffer(key: str) -> bool:
    return key.endswith(BUFFERS)


def family(key: str) -> str | None:
    """The longest known prefix of `key` (None: a name no layout has)."""
    return next((p for p in _PREFIXES if key.startswith(p)), None)


def target_name(key: str) -> str:
    """The name transformers' Qwen2-VL model has for checkpoint weight `key` (unknown names stay as they are)."""
    prefix = family(key)
    if prefix in RENAMES:
        return RENAMES[prefix] + key[len(prefix) :]
    return key


def detect(keys: Iterable[str]) -> str | None:
    """The layout whose prefixes cover every weight name, or None when the names fit no single layout."""
    families = {family(k) for k in keys if not is_buffer(k)}
    for layout in LAYOUTS:
        if families and families <= {*layout.prefixes, *layout.optional} and families & set(layout.prefixes):
            return layout.name
    return None


def unknown_prefixes(keys: Iterable[str]) -> list[str]:
    """The first dotted part of each name that no layout knows, for error messages."""
    return sorted({k.split(".", 1)[0] + "." for k in keys if family(k) is None and not is_buffer(k)})


def key_mapping() -> dict[str, str]:
    """`RENAMES` as transformers' `key_mapping` (anchored regexes). transformers applies every matching rule in
    turn, so no pattern may match a rule's output: a prefix that begins a target (`model.`) excludes it."""
    mapping = {}
    for source, target in RENAMES.items():
        longer = [p[len(source) :] for p in (*TARGETS, *RENAMES) if p != source and p.startswith(source)]
        guard = f"(?!{'|'.join(re.escape(rest) for rest in longer)})" if longer else ""
        mapping["^" + re.escape(source) + guard] = target
    return mapping
