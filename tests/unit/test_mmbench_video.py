"""MMBench-Video: TSV loader and the VLMEvalKit judge score with its dimension aggregation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.judges.base import JudgeParseError
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.scorers.mmbench_video import parse_judge_score, xlsx_read_back
from tarsier_eval.scoring.types import Prediction
from tests.support.stub_judge import StubJudge

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "mmbench_video"


@pytest.fixture(scope="module")
def mmv():
    spec = get_task("mmbench_video")
    return spec, load_samples(spec, FIXTURE).samples


def test_loads_tsv_rows(mmv):
    _spec, samples = mmv
    assert [s.sample_id for s in samples] == [f"mmbench_video/{i}" for i in range(5)]
    s = samples[3]
    assert s.prompt == "What is written on the sign?" and s.answer == '"OPEN 24 HOURS"'
    assert s.video == "video/vid_b.mp4" and s.source.pointer == "/3" and s.source.file == "MMBench-Video.tsv"
    assert samples[1].meta["dimensions"] == ["Causal Reasoning", "Event Recognition"]
    assert [s.subset for s in samples] == ["Perception", "Reasoning", "Perception", "Perception", "Reasoning"]


def test_unknown_dimension_is_a_load_issue(tmp_path):
    rows = (FIXTURE / "MMBench-Video.tsv").read_text().splitlines()
    rows[2] = rows[2].replace("['Causal Reasoning', 'Event Recognition']", "['Telepathy']")
    (tmp_path / "MMBench-Video.tsv").write_text("\n".join(rows) + "\n")
    result = load_samples(get_task("mmbench_video"), tmp_path)
    assert len(result.samples) == 4 and "MMBench-Video.tsv#/1" in str(result.issues[0])


@pytest.mark.parametrize(
    ("reply", "score"),
    [("3", 3), (" 2\n", 2), ("\n1", 1), ("\t3\t", 3), ("0", 0), ("-1", -1), ("+2", 2), ("-0", 0), ("00", 0),
     ("1_0", 10), ("10", 10), ("2.", None), ("Score: 2", None), ("two", None), ("", None), ("03", None),
     ("\u0663", None), ("\uff13", None), ("1e0", None), ("[2]", None), ("'2'", None), ("True", None),
     ("1+1", None), ("0x2", None), ("1__0", None), ("_1", None)],
)  # fmt: skip
def test_judge_reply_must_be_a_python_int_literal(reply, score):
    """VLMEvalKit: `int(x) if isinstance(eval(x), int) else -1` on the stripped reply (a reply that evals to an
    int without being a decimal literal, "True" or "1+1", crashes it; here it is a failed judgement)."""
    if score is not None:
        assert parse_judge_score(reply) == score
    else:  # a failed judgement: VLMEvalKit scores it -1
        with pytest.raises(JudgeParseError):
            parse_judge_score(reply)


@pytest.mark.parametrize(
    ("text", "read"),
    [("", None), ("NaN", None), ("None", None), ("N/A", None), ("#N/A N/A", None), ("-1.#IND", None),
     ("none", "none"), ("NAN", "NAN"), (" NA", " NA"), ("   ", "   "), ("None\n", "None\n"),
     ("a\x01b", "a_x0001_b"), ("\tA\r\nB\x1f\x7f", "\tA_x000D_\nB_x001F_\x7f"), ("x" * 40_000, "x" * 32_767)],
)  # fmt: skip
def test_xlsx_read_back(text, read):
    assert xlsx_read_back(text) == read


def test_scores_by_dimension_as_vlmevalkit(mmv):
    spec, samples = mmv
    preds = {s.sample_id: Prediction(s.sample_id, f"answer {i}") for i, s in enumerate(samples[:4])}
    replies = {"mmbench_video/0": "3", "mmbench_video/1": "2", "mmbench_video/2": "I'd say 1", "mmbench_video/3": None}
    judge = StubJudge(lambda req: replies[req.key])
    scores = score_task(spec, samples, preds, judge=judge)
    req = judge.requests[0]
    assert req.messages[0]["content"].startswith("\nAs an AI assistant, your task is to evaluate a candidate answer")
    assert "from 0 to 3, based solely on the semantic similarity" in req.messages[0]["content"]
    assert req.messages[1]["content"] == (
        "Question: How many people appear in the video?\nGroundtruth answer: Two people appear in the video.\n"
        "Candidate answer: answer 0\nYour response: "
    )
    assert req.params == {"temperature": 0, "max_tokens": 2048}
    m = scores.metrics
    # raw scores: 3, 2, -1 (not an integer), -1 (judge failed); the question without a prediction is in no rating
    assert m["overall"]["score"] == pytest.approx(5 / 4) and m["overall"]["score_valid"] == pytest.approx(2.5)
    assert m["Perception"]["score"] == pytest.approx(5 / 4)  # rows 0, 1 (Event Recognition), 2, 3
    assert m["Reasoning"]["score"] == 2.0 and m["Reasoning"]["score_valid"] == 2.0
    assert m["dim=Future Prediction"] == {"score": None, "score_valid": None}
    assert m["FP-S"]["score"] == pytest.approx(5 / 3) and m["dim=Counting"]["score"] == 3.0
    assert m["HL"]["score"] == 0.0 and m["HL"]["score_valid"] is None
    assert m["dim=Video Topic"]["score"] is None
    statuses = [r.status for r in scores.samples]
    assert statuses == ["ok", "ok", "judge_failed", "judge_failed", "missing"]


def test_without_judge_everything_answered_is_unjudged(mmv):
    spec, samples = mmv
    preds = {s.sample_id: Prediction(s.sample_id, "x") for s in samples}
    scores = score_task(spec, samples, preds)
    assert scores.counts()["n_unjudged"] == 5 and scores.headline_value is None


def test_answers_read_as_nan_are_not_judged(mmv):
    """VLMEvalKit's xlsx round trip: "" and "NaN"-like answers never reach the judge and score -1; the judge sees
    control characters escaped. `xlsx_round_trip: false` judges every answer as it is."""
    spec, samples = mmv
    answers = ["", "N/A", "none", "It\x01is two.", "x"]
    preds = {s.sample_id: Prediction(s.sample_id, a) for s, a in zip(samples, answers, strict=True)}
    judge = StubJudge(lambda req: "3")
    scores = score_task(spec, samples, preds, judge=judge)
    sent = [r.key for r in judge.requests]
    assert sent == ["mmbench_video/2", "mmbench_video/3", "mmbench_video/4"]
    assert "Candidate answer: It_x0001_is two.\nYour response: " in judge.requests[1].messages[1]["content"]
    first, second = scores.samples[:2]
    assert (first.status, first.parsed, first.score) == ("unparsed", -1, 0.0) and second.parsed == -1
    assert scores.metrics["overall"]["score"] == pytest.approx(9 / 5) and scores.metrics["overall"]["score_valid"] == 3
    assert scores.metrics["dim=Counting"] == {"score": 0.0, "score_valid": None}
    raw = StubJudge(lambda req: "3")
    as_is = score_task(spec, samples, preds, options={"xlsx_round_trip": False}, judge=raw)
    assert len(raw.requests) == 5 and "Candidate answer: It\x01is two." in raw.requests[3].messages[1]["content"]
    assert as_is.metrics["overall"]["score"] == 3.0


def test_missing_questions_are_left_out_unless_counted_wrong(mmv):
    spec, samples = mmv
    preds = {s.sample_id: Prediction(s.sample_id, "x") for s in samples[:3]}
    official = score_task(spec, samples, preds, judge=StubJudge(lambda req: "2"))
    assert official.metrics["overall"] == {"score": 2.0, "score_valid": 2.0}
    assert official.metrics["dim=OCR"] == {"score": None, "score_valid": None}
    wrong = score_task(spec, samples, preds, options={"missing": "wrong"}, judge=StubJudge(lambda req: "2"))
    assert wrong.metrics["overall"] == {"score": pytest.approx(6 / 5), "score_valid": 2.0}
    assert wrong.metrics["dim=OCR"] == {"score": 0.0, "score_valid": None}
