"""MLVU dev: loader on the 7 real task files, the official check_ans and M-Avg with the two unscorable needles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarsier_eval import protocols
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


# ---- protocols ------------------------------------------------------------------------------------------------


def test_protocols_and_paper():
    spec = get_task("mlvu")
    assert protocols.names(spec) == ["official", "lmms-eval", "paper"]
    assert protocols.resolve(spec, None).key == "official@1"


def test_official_reads_the_reply_unstripped(mlvu):
    spec, samples = mlvu
    sample = samples[0]  # gold A
    replies = {"A": 1.0, "A) Yellow": 1.0, "  A": 0.0, "A\n": 0.0, "\tA) Yellow": 1.0}
    for reply, expected in replies.items():
        scores = score_task(spec, [sample], {sample.sample_id: Prediction(sample.sample_id, reply)})
        assert scores.samples[0].score == expected, repr(reply)
    stripped = score_task(
        spec, [sample], {sample.sample_id: Prediction(sample.sample_id, "  A")}, options={"strip": True}
    )
    assert stripped.samples[0].score == 1.0


def test_duplicate_candidates_take_the_last_officially(shared_benchmarks):
    spec = get_task("mlvu")
    official = {s.sample_id: s for s in load_samples(spec, shared_benchmarks).samples}
    lmms = {s.sample_id: s for s in load_samples(protocols.apply(spec, "lmms-eval")[0], shared_benchmarks).samples}
    differ = {k: (official[k].answer, lmms[k].answer) for k in official if official[k].answer != lmms[k].answer}
    assert differ == {"mlvu/1_plotQA/335": ("C", "B"), "mlvu/1_plotQA/387": ("C", "A"),
                      "mlvu/1_plotQA/493": ("D", "A"), "mlvu/6_anomaly_reco/66": ("D", "A"),
                      "mlvu/7_topic_reasoning/26": ("D", "A"), "mlvu/7_topic_reasoning/163": ("D", "A")}  # fmt: skip
    assert official["mlvu/1_plotQA/335"].options == ["Six", "Three", "Three", "Eight"]


def test_lmms_eval_extraction_and_m_avg(mlvu):
    spec, samples = mlvu
    effective, _ = protocols.apply(spec, "lmms-eval")
    plot = [s for s in samples if s.subset == "plotQA"][:4]
    replies = ["**{}**", "The best answer is {}.", "({}) text", "Option {}"]
    preds = {s.sample_id: Prediction(s.sample_id, r.format(s.answer)) for s, r in zip(plot, replies, strict=True)}
    official = score_task(spec, plot, preds)
    lmms = score_task(effective, plot, preds)
    assert [r.score for r in official.samples] == [0.0, 0.0, 1.0, 0.0]  # "(B) text": the character before ")" is B
    assert [r.score for r in lmms.samples] == [1.0, 1.0, 1.0, 1.0]
    assert lmms.metrics["overall"]["m_avg"] == 100.0
