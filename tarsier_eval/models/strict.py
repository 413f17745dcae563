"""Strict loading: a checkpoint whose weights do not all land in the model is a usage error, never a random model.

Before loading, the weight names and shapes in the file headers are mapped (tarsier_eval.models.layouts) and
compared with the model built on the meta device, so a bad checkpoint fails in seconds, before any video is
decoded; after loading, transformers' own report is checked again. `strict=false` loads anyway and records what
did not load in the run manifest's model entry, with the reason (`load_flags`) in its `warnings` for tables and
reports.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from tarsier_eval.errors import UsageError
from tarsier_eval.models import layouts

SHOWN = 5  # keys named in an error message
NOT_LISTED = "not listed (not a local checkpoint)"


@dataclass
class LoadReport:
    """What loading a checkpoint into the model does: weights missing from it (left random), checkpoint weights
    the model has no place for, shape mismatches, and weights deliberately left out (`ignored`)."""

    layout: str
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def problems(self) -> str:
        parts = [
            f"{len(keys)} {noun if len(keys) == 1 else noun + 's'} {what} "
            f"({', '.join(keys[:SHOWN])}{', ...' if len(keys) > SHOWN else ''})"
            for noun, what, keys in (
                ("model weight", "missing from the checkpoint", self.missing),
                ("checkpoint weight", "the model has no place for", self.unexpected),
                ("weight", "of the wrong shape", self.mismatched),
            )
            if keys
        ]
        return "; ".join(parts)

    def describe(self, strict: bool) -> dict[str, Any]:
        """The manifest's record: always the rule and the layout; what did not load when strict is off."""
        entry: dict[str, Any] = {"strict": strict, "weight_layout": self.layout}
        if not strict:
            entry.update(missing_keys=self.missing, unexpected_keys=self.unexpected, mismatched_keys=self.mismatched)
        if self.ignored:
            entry["ignored_keys"] = self.ignored
        return with_warnings(entry)


def parse_strict(value: str | bool) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise UsageError(f"--model-args strict={value!r}: use strict=true (the default) or strict=false")
    return text == "true"


def enforce(report: LoadReport, strict: bool, pretrained: str) -> None:
    """Raise the usage error for an incomplete load under the strict rule; warn when strict is off."""
    if report.complete:
        return
    if not strict:
        print(f"warning: checkpoint {pretrained} (weight layout: {report.layout}) loads with strict=false: "
              f"{report.problems()}; those weights are random and the run is marked", file=sys.stderr)  # fmt: skip
    else:
        accepted = ", ".join(layout.name for layout in layouts.LAYOUTS)
        raise UsageError(
            f"checkpoint {pretrained} (weight layout: {report.layout}) does not load completely: "
            f"{report.problems()}. Evaluating it would use random weights. Accepted layouts: {accepted} "
            "(docs/models.md). To run anyway, with the run marked as not strictly loaded, add strict=false to "
            "--model-args"
        )


def ignorable(key: str, raw_config: dict[str, Any] | None) -> bool:
    """Rotary buffers (computed from the config) and, for Tarsier2's Qwen2-VL branch (llava config whose
    text model is qwen2_vl), the multi_modal_projector it builds but never calls."""
    if layouts.is_buffer(key):
        return True
    text = (raw_config or {}).get("text_config") or {}
    tarsier2_qwen2vl = (raw_config or {}).get("model_type") == "llava" and text.get("model_type") == "qwen2_vl"
    return tarsier2_qwen2vl and key.startswith(layouts.PROJECTOR)


def layout_name(keys: list[str]) -> str:
    name = layouts.detect(keys)
    if name is not None:
        return name
    unknown = layouts.unknown_prefixes(keys)
    return f"unrecognised (names under {', '.join(unknown)})" if unknown else "mixed (names of several layouts)"


def predict(model_config: Any, shapes: dict[str, tuple[int, ...]], raw_config: dict[str, Any] | None) -> LoadReport:
    """The report of loading weights of these names and shapes, without reading any weight."""
    expected, tied = _expected_shapes(model_config)
    report = LoadReport(layout_name(list(shapes)))
    placed: dict[str, str] = {}
    for key, shape in sorted(shapes.items()):
        if ignorable(key, raw_config):
            report.ignored.append(key)
            continue
        target = layouts.target_name(key)
        if target not in expected or target in placed:
            report.unexpected.append(key if target not in placed else f"{key} (a second copy of {placed[target]})")
        elif tuple(expected[target]) != shape:
            report.mismatched.append(f"{key}: checkpoint {list(shape)}, model {list(expected[target])}")
        placed.setdefault(target, key)
    report.missing = [k for k in sorted(expected) if not any(name in placed for name in tied.get(k, {k}))]
    return report


def _expected_shapes(model_config: Any) -> tuple[dict[str, tuple[int, ...]], dict[str, set[str]]]:
    """The model's weight shapes (built on the meta device: no memory) and, per name, the names sharing its
    tensor (tied weights: one of them in the checkpoint fills all)."""
    import torch
    from transformers import Qwen2VLForConditionalGeneration

    with torch.device("meta"):
        model = Qwen2VLForConditionalGeneration(model_config)
    by_tensor: dict[int, set[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        by_tensor.setdefault(id(param), set()).add(name)
    tied = {name: names for names in by_tensor.values() for name in names}
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}, tied


def from_loading_info(info: dict[str, Any], layout: str, raw_config: dict[str, Any] | None) -> LoadReport:
    """transformers' `output_loading_info` as a LoadReport (names after the key map)."""
    unexpected = sorted(info["unexpected_keys"])
    return LoadReport(
        layout,
        missing=sorted(info["missing_keys"]),
        unexpected=[k for k in unexpected if not ignorable(k, raw_config)],
        mismatched=sorted(f"{k}: checkpoint {list(a)}, model {list(b)}" for k, a, b in info["mismatched_keys"]),
        ignored=[k for k in unexpected if ignorable(k, raw_config)],
    )


def with_warnings(model_entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its `load_flags` as `warnings` (the list run flags carry into tables), when there are any."""
    flags = load_flags(model_entry)
    return {**model_entry, "warnings": flags} if flags else model_entry


def load_flags(model_entry: dict[str, Any]) -> list[str]:
    """Why a run's model entry (manifest "model") deserves a mark in tables and reports; empty when none."""
    flags = []
    if model_entry.get("strict") is False:
        counts = {what: len(model_entry.get(f"{what}_keys") or []) for what in ("missing", "unexpected", "mismatched")}
        detail = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "no weight problems recorded"
        flags.append(f"not strictly loaded (strict=false; {detail})")
    served = model_entry.get("served_model_mismatch")
    if served:
        flags.append(f"endpoint served {', '.join(served)} instead of {model_entry.get('model')}")
    return flags


def check_before_loading(
    pretrained: str, model_config: Any, raw_config: dict[str, Any] | None, strict: bool
) -> LoadReport | None:
    """The predicted report of a local checkpoint, enforced now (None for a hub id: checked after loading)."""
    from tarsier_eval.models.checkpoint import weight_shapes

    shapes = weight_shapes(pretrained)
    if shapes is None:
        return None
    if model_config is None:
        from transformers import Qwen2VLConfig

        model_config = Qwen2VLConfig.from_pretrained(pretrained)
    report = predict(model_config, shapes, raw_config)
    enforce(report, strict, pretrained)
    return report
