"""MLVU dev: loader on the 7 real task files, the official check_ans and M-Avg with the two unscorable needles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.mlvu import mlvu_check_ans
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction

COUNTS = {"plotQA": 539, "needle": 355, "ego": 352, "count": 206, "order": 259, "anomaly_reco": 200,
          "topic_reasoning": 264}  # fmt: skip


@pytest.fixture(scope="module")
def mlvu(shared_benchmarks: Path):
    spec = get_task("mlvu")
    return spec, load_samples(spec, shared_benchmarks).samples


def test_loads_every_real_question(mlvu):
    _spec, samples = mlvu
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts == COUNTS
    first = samples[0]
    assert first.sample_id == "mlvu/1_plotQA/0" and first.video == "video/1_plotQA/movie101_66.mp4"
    assert first.prompt == (
        "Question: What color is the main male character in the video?\nOptions:\n(A) Yellow\n(B) Red\n(C) Green\n"
        "(D) Blue\nOnly give the best option."
    )
    assert first.response_prefix == "Best Option: (" and first.answer == "A"
    assert first.system.startswith("Carefully watch this video and pay attention to every detail.")
    unscorable = [s for s in samples if s.answer == "@"]
    assert sorted(s.video for s in unscorable) == ["video/2_needle/needle_4.mp4", "video/2_needle/needle_5.mp4"]
    assert all(s.meta["answer_text"] == "Catching a flying drone quadcopter" for s in unscorable)


@pytest.mark.parametrize(
    ("reply", "gold", "correct"),
    [
        ("A) Yellow", "A", True),
        ("A", "A", True),
        ("A.", "A", False),  # no ")" -> the whole reply is compared
        ("a) yellow", "A", False),  # case-sensitive
        ("The answer is (B)", "B", True),  # the character before the first ")"
        (") A", "A", False),
        ("", "A", False),
        ("A)", "@", False),
    ],
)
def test_check_ans(reply, gold, correct):
    assert mlvu_check_ans(reply, gold)[0] is correct


def test_m_avg_with_unscorable_needles(mlvu):
    spec, samples = mlvu
    preds = {}
    for s in samples:
        if s.subset == "count":
            continue  # all missing: wrong
        letter = s.answer if s.answer != "@" else "A"
        reply = f"{letter}) text" if s.subset != "order" else "(" + letter  # order: "(B" has no ")" -> wrong
        preds[s.sample_id] = Prediction(s.sample_id, reply)
    scores = score_task(spec, samples, preds)
    m = scores.metrics
    needle = 100 * 353 / 355
    assert m["plotQA"]["accuracy"] == 100.0 and m["count"]["accuracy"] == 0.0 and m["order"]["accuracy"] == 0.0
    assert m["needle"]["accuracy"] == pytest.approx(needle)
    assert m["overall"]["m_avg"] == pytest.approx((400 + needle) / 7)
    correct = 2175 - 206 - 259 - 2
    assert m["overall"]["accuracy_micro"] == pytest.approx(100 * correct / 2175)
    assert scores.counts()["n_missing"] == 206
    skipped = score_task(spec, samples, preds, options={"skip_unscorable": True})
    assert skipped.metrics["needle"]["accuracy"] == 100.0
    assert skipped.metrics["overall"]["m_avg"] == pytest.approx(500 / 7)
