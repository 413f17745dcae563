"""Perception Test: loader on an official-schema fixture; lmms-eval letter parsing and top-1 accuracy breakdowns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.perceptiontest import first_letter
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "perceptiontest"


@pytest.fixture(scope="module")
def perception():
    spec = get_task("perceptiontest")
    result = load_samples(spec, FIXTURE)
    assert result.issues == []
    return spec, result.samples


def test_loads_questions(perception):
    _spec, samples = perception
    assert len(samples) == 6
    first = samples[0]
    assert first.sample_id == "perceptiontest/video_10909/0"
    assert first.video == "videos/video_10909.mp4"
    assert first.prompt == (
        "Is the camera moving or static?\nA. I don't know\nB. moving\nC. static or shaking\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert first.answer == "C" and first.subset == "Physics" and first.meta["reasoning"] == "Descriptive"
    assert first.source.file == "mc_question_valid.json" and first.source.pointer == "/video_10909/mc_question/0"
    assert first.media.end is None


def test_cut_frames_option():
    spec = get_task("perceptiontest")
    samples = load_samples(spec, FIXTURE, options={"cut_frame_mapping": "cut_frame_mapping_valid.json"}).samples
    cup = [s for s in samples if s.sample_id.startswith("perceptiontest/video_7084/")]
    assert {(s.media.start, s.media.end) for s in cup} == {(0.0, 25.0)}  # frame 750 at 30 fps
    assert all(s.media.end is None for s in samples if s not in cup)


@pytest.mark.parametrize(
    ("reply", "letter"),
    [("C", "C"), ("(B) moving", "B"), ("The answer is C.", "C"), ("**A**", "A"), ("c", None),
     ("static or shaking", None), ("", None), ("I cannot tell.", None), ("A person is drawing", "A"), ("D", "D")],
)  # fmt: skip
def test_lmms_eval_letter_rule(reply, letter):
    assert first_letter(reply) == letter


def test_accuracy_and_breakdowns(perception):
    spec, samples = perception
    replies = {
        "perceptiontest/video_10909/0": "(C) static or shaking",  # right
        "perceptiontest/video_10909/1": "a",  # lowercase: unparsed, wrong (gold A)
        "perceptiontest/video_7084/0": "The answer is B.",  # right
        "perceptiontest/video_7084/3": "Nothing would happen",  # option text only: wrong
        "perceptiontest/video_2213/2": "A person is drawing",  # parses as A: right
        # video_2213/5 missing: wrong
    }
    preds = {k: Prediction(k, v) for k, v in replies.items()}
    scores = score_task(spec, samples, preds)
    m = scores.metrics
    assert m["overall"]["accuracy"] == pytest.approx(100 * 3 / 6)
    assert m["Memory"]["accuracy"] == pytest.approx(50.0)
    assert m["Physics"]["accuracy"] == pytest.approx(50.0)
    assert m["Semantics"]["accuracy"] == 100.0 and m["Abstraction"]["accuracy"] == 0.0
    assert m["reasoning:Descriptive"]["accuracy"] == pytest.approx(100 / 3)
    assert m["tag:counting"]["accuracy"] == 0.0 and m["tag:object permanence"]["accuracy"] == 100.0
    counts = scores.counts()
    assert counts["n_unparsed"] == 2 and counts["n_missing"] == 1


def test_bad_answer_id_is_a_load_issue(tmp_path):
    data = json.loads((FIXTURE / "mc_question_valid.json").read_text())
    data["video_2213"]["mc_question"][1]["answer_id"] = 3
    (tmp_path / "mc_question_valid.json").write_text(json.dumps(data))
    result = load_samples(get_task("perceptiontest"), tmp_path)
    assert len(result.samples) == 5
    assert len(result.issues) == 1 and "mc_question_valid.json#/video_2213/mc_question/1" in str(result.issues[0])


def test_protocols_and_paper():
    spec = get_task("perceptiontest")
    assert protocols.names(spec) == ["official", "lmms-eval", "paper"]
    assert protocols.resolve(spec, None).key == "lmms-eval@1"
