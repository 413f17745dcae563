"""MMBench-Video: TSV loader and the VLMEvalKit judge score with its dimension aggregation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.judges.base import JudgeParseError
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.scorers.mmbench_video import parse_judge_score
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
    ("reply", "score"), [("3", 3), (" 2\n", 2), ("0", 0), ("2.", -1), ("Score: 2", -1), ("two", -1), ("", -1)]
)
def test_judge_reply_must_be_an_integer(reply, score):
    if score >= 0:
        assert parse_judge_score(reply) == score
    else:  # a failed judgement: VLMEvalKit scores it -1
        with pytest.raises(JudgeParseError):
            parse_judge_score(reply)


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
    assert req.params == {"temperature": 0}
    m = scores.metrics
    # raw scores: 3, 2, -1 (not an integer), -1 (judge failed), -1 (missing prediction)
    assert m["overall"]["score"] == pytest.approx(5 / 5) and m["overall"]["score_valid"] == pytest.approx(2.5)
    assert m["Perception"]["score"] == pytest.approx(5 / 4)  # rows 0, 1 (Event Recognition), 2, 3
    assert m["Reasoning"]["score"] == pytest.approx(2 / 2) and m["Reasoning"]["score_valid"] == 2.0
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
