"""VideoHallucer: pair samples with RFC 6901 pointers, the temporal file versions, whole-word pair accuracy."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.yes_no import hit
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tarsier_eval.task import Mechanism


@pytest.fixture(scope="module")
def vh(shared_benchmarks: Path):
    spec = get_task("videohallucer")
    return spec, load_samples(spec, shared_benchmarks).samples


def resolve(root: Path, file: str, ptr: str):
    node = json.loads((root / file).read_text())
    for token in ptr.lstrip("/").split("/"):
        node = node[int(token)] if isinstance(node, list) else node[token.replace("~1", "/").replace("~0", "~")]
    return node


def test_pointer_contract_pair_17_basic(vh, shared_benchmarks):
    _spec, samples = vh
    root = shared_benchmarks / "VideoHallucer"
    by_id = {s.sample_id: s for s in samples}
    s = by_id["videohallucer/object_relation/17/basic"]
    assert s.source.pointer == "/17/basic" and s.source.file == "full.object_relation.json"
    record = resolve(root, s.source.file, s.source.pointer)
    assert s.prompt == f"{record['question']}\nAnswer the question using 'yes' or 'no'." and s.answer == "yes"
    assert s.video == f"object_relation/videos/{record['video']}"
    h = by_id["videohallucer/semantic_detail/3/hallucination"]
    assert h.source.pointer == "/3/hallucination" and h.answer == "no"
    assert h.video == f"semantic_detail/videos/{resolve(root, h.source.file, '/3/hallucination')['video']}"
    basic = by_id["videohallucer/semantic_detail/3/basic"]
    assert (basic.video, h.video) == (
        "semantic_detail/videos/i60pSpcQkJg_b.mp4",
        "semantic_detail/videos/i60pSpcQkJg_a.mp4",
    )


def test_temporal_versions(vh, shared_benchmarks):
    spec, samples = vh
    temporal = [s for s in samples if s.subset == "temporal"]
    assert len(temporal) == 2 * 176 and len(samples) == 2 * (4 * 200 + 176)
    assert {s.meta["temporal_version"] for s in temporal} == {"2025-10 (176 pairs)"}
    old = load_samples(spec, shared_benchmarks, options={"temporal": "pre2025-10"})
    assert "full.temporal_pre2025-10_200pairs.json" in old.files and "full.temporal.json" not in old.files
    assert sum(s.subset == "temporal" for s in old.samples) == 400
    scores = score_task(spec, old.samples, {})
    assert scores.extra == {"temporal_version": "pre-2025-10 (200 pairs)"}
    assert scores.metrics["temporal"]["n_pairs"] == 200.0


@pytest.mark.parametrize(
    ("reply", "answer", "expected"),
    [
        ("Yes.", "yes", True),
        ("YES", "yes", True),
        ("No, yes", "yes", True),  # whole word anywhere
        ("No, yes", "no", True),
        ("yesterday", "yes", False),
        ("I don't know", "no", False),
        ("Answer: no", "no", True),
        ("", "yes", False),
    ],
)
def test_whole_word_hit(reply, answer, expected):
    assert hit(reply, answer) is expected


def test_pair_accuracy_per_category_and_unweighted_overall(vh):
    spec, samples = vh
    replies = {  # (basic reply, hallucinated reply) per category; external_nonfactual gets no predictions
        "object_relation": ("Yes, there is.", "No."),
        "temporal": ("yes", "Yes"),
        "semantic_detail": ("No", "no"),
        "external_factual": ("No, yes", "No, yes"),
    }
    preds = {
        s.sample_id: Prediction(s.sample_id, replies[s.subset][s.meta["role"] == "hallucination"])
        for s in samples
        if s.subset in replies
    }
    scores = score_task(spec, samples, preds)
    m = scores.metrics
    assert (m["object_relation"]["basic_accuracy"], m["object_relation"]["accuracy"]) == (100.0, 100.0)
    assert (m["temporal"]["basic_accuracy"], m["temporal"]["halluc_accuracy"], m["temporal"]["accuracy"]) == (
        100.0, 0.0, 0.0)  # fmt: skip
    assert (m["semantic_detail"]["basic_accuracy"], m["semantic_detail"]["halluc_accuracy"]) == (0.0, 100.0)
    assert m["external_factual"]["accuracy"] == 100.0  # "No, yes" passes both: the official regex quirk
    assert m["external_nonfactual"]["accuracy"] == 0.0
    assert m["overall"] == {"basic_accuracy": 60.0, "halluc_accuracy": 60.0, "accuracy": 40.0}
    assert scores.counts()["n_missing"] == 400
    assert scores.extra["temporal_version"] == "2025-10 (176 pairs)"
    prefix = score_task(replace(spec, parser=Mechanism("videohallucer_prefix")), samples, preds).metrics
    assert prefix["external_factual"]["basic_accuracy"] == 0.0 and prefix["external_factual"]["accuracy"] == 0.0
    assert prefix["overall"]["accuracy"] == 20.0
