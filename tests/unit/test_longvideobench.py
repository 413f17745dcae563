"""LongVideoBench: loader on the real val records, official extraction and the seeded random fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.scoring.parsers.longvideobench import lvb_extract
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "longvideobench"


@pytest.fixture(scope="module")
def lvb():
    spec = get_task("longvideobench")
    return spec, load_samples(spec, FIXTURE).samples


def test_loads_real_records(lvb, shared_benchmarks):
    _spec, samples = lvb
    first, second = samples
    assert first.sample_id == "longvideobench/86CxyhFV9MI_0" and first.answer == "B" and first.subset == "600"
    assert first.video == "videos/86CxyhFV9MI.mp4" and first.source.pointer == "/0"
    assert first.meta["question_category"] == "TOS"
    assert first.prompt.startswith(
        "Question: In the video, which subtitles appear at the same time as the man with black hair, dressed in "
        "grey clothes with black sleeves, on stage?\nA. promisc has come to an end, in and run away"
    )
    assert first.prompt.endswith("\nAnswer with the option's letter from the given choices directly.")
    assert first.prompt.count("\n") == 5
    assert second.answer == "E" and second.options[4] == "He is shirtless."
    # the shared third-party re-export (letter-prefixed `options`) loads the same way
    shared = load_samples(get_task("longvideobench"), shared_benchmarks).samples
    assert [s.options for s in shared] == [s.options for s in samples]


@pytest.mark.parametrize(
    ("reply", "letter"),
    [
        ("B", "B"),
        ("The answer is E.", "E"),
        ("Best option: (C)", "C"),  # the prefix is removed, so the B of "Best" does not count
        ("(d)", None),
        ("", None),
        ("I cannot see any subtitles in this video so there is nothing for me to pick", None),
    ],
)
def test_official_extraction(reply, letter):
    assert lvb_extract(reply) == letter


def test_seeded_random_fallback_rate_and_order_independence(lvb):
    spec, samples = lvb
    first, second = (s.sample_id for s in samples)
    preds = {first: Prediction(first, "B"), second: Prediction(second, "??")}
    scores = score_task(spec, samples, preds, seed=7)
    fallback = scores.samples[1]
    assert fallback.status == "unparsed" and fallback.detail["method"] == "random"
    assert fallback.parsed in "ABCDE" and fallback.score == float(fallback.parsed == "E")
    assert scores.metrics["overall"]["random_fallback_rate"] == 50.0
    assert scores.metrics["overall"]["accuracy"] == 50.0 + 50.0 * fallback.score
    again = score_task(spec, list(reversed(samples)), preds, seed=7)
    assert next(r for r in again.samples if r.sample_id == fallback.sample_id).parsed == fallback.parsed
    drawn = {score_task(spec, samples, preds, seed=k).samples[1].parsed for k in range(40)}
    assert drawn == set("ABCDE")  # the draw covers the 5 candidates, never a letter outside them
    off = score_task(spec, samples, preds, options={"random_fallback": False})
    assert off.samples[1].score == 0.0 and off.metrics["overall"]["accuracy"] == 50.0
    assert off.metrics["category=TOS"]["accuracy"] == 100.0 and off.metrics["category=TAA"]["accuracy"] == 0.0


def test_missing_prediction_is_wrong(lvb):
    spec, samples = lvb
    scores = score_task(spec, samples, {})
    assert scores.metrics["overall"]["accuracy"] == 0.0 and scores.counts()["n_missing"] == 2
    assert scores.metrics["overall"]["random_fallback_rate"] == 0.0


def test_protocols_and_paper():
    spec = get_task("longvideobench")
    assert protocols.names(spec) == ["official", "lmms-eval", "paper"]
    assert protocols.resolve(spec, None).key == "lmms-eval@1"


@pytest.mark.parametrize("name", ["messy", "adversarial"])
def test_lmms_eval_protocol_draws_lmms_evals_random_letters(name):
    """lmms-eval draws a fallback letter from the global `random` seeded once with 0, in sample order: the
    `sequence` draws of the lmms-eval protocol give exactly the letters its run printed (conformance fixture)."""
    folder = FIXTURE.parent / "conformance" / "longvideobench" / "lmms-eval"
    effective, _ = protocols.apply(get_task("longvideobench"), "lmms-eval")
    samples = load_samples(effective, folder.parent / "data").samples
    scores = score_task(effective, samples, read_predictions(folder / f"{name}.predictions.jsonl"), seed=0)
    random_items = set(json.loads((folder / f"{name}.official.json").read_text())["random_items"])
    ours = {r.sample_id: r for r in scores.samples}
    verdicts = [json.loads(line) for line in (folder / f"{name}.verdicts.jsonl").read_text().splitlines() if line]
    drawn = [(v["parsed"], ours[v["sample_id"]].parsed) for v in verdicts if v["sample_id"] in random_items]
    assert len(drawn) >= 6 and all(theirs == mine for theirs, mine in drawn)
    per_sample = score_task(get_task("longvideobench"), samples, read_predictions(folder / f"{name}.predictions.jsonl"))
    assert [ours[i].parsed for i in sorted(random_items)] != [
        next(r.parsed for r in per_sample.samples if r.sample_id == i) for i in sorted(random_items)
    ]
