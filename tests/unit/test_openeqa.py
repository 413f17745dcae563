"""OpenEQA: loader on the real open-eqa-v0.json and LLM-Match through the loopback judge server over HTTP."""

from __future__ import annotations

import json

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.judges.base import JudgeParseError
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.scorers.openeqa import cut_after_last_period, mark_to_score, parse_mark, parse_mark_lenient
from tarsier_eval.scoring.types import Prediction
from tests.support.judge_server import judge_server_fixture  # noqa: F401

CHOSEN = [0, 1, 2, 3, 4, 5, 17, 557, 558, 559]  # positions in open-eqa-v0.json (557+ = ScanNet)


@pytest.fixture(scope="module")
def oeqa(shared_benchmarks):
    spec = get_task("openeqa")
    result = load_samples(spec, shared_benchmarks)
    return spec, result


def test_loads_all_real_questions(oeqa, shared_benchmarks):
    _spec, result = oeqa
    samples = result.samples
    assert len(samples) == 1636 and not result.issues
    assert sum(s.meta["scene_set"] == "hm3d-v0" for s in samples) == 557
    assert sum(s.meta["extra_answers"] is not None for s in samples) == 263
    s = samples[17]
    assert s.sample_id == "openeqa/501c3264-ca08-487d-a038-0e83968359f6" and s.source.pointer == "/17"
    assert s.media.kind == "frames" and s.media.path == "frames/hm3d-v0/001-hm3d-TPhiubUHKcP"
    assert s.subset == "object localization" and s.answer == "Next to the staircase above the dark brown cabinet"
    assert s.prompt.startswith("You are an intelligent question answering agent.")
    assert s.prompt.endswith("to the question asked by the user.\nUser Query: Where is the mirror?")
    assert get_task("openeqa").video.num_frames == 50 and get_task("openeqa").video.sampling == "openeqa"


def test_malformed_and_duplicate_records_are_load_issues(tmp_path, shared_benchmarks):
    records = json.loads((shared_benchmarks / "OpenEQA" / "full.open-eqa-v0.json").read_text())[:4]
    del records[1]["answer"]
    records[3]["question_id"] = records[2]["question_id"]
    (tmp_path / "open-eqa-v0.json").write_text(json.dumps(records))
    result = load_samples(get_task("openeqa"), tmp_path)
    assert len(result.samples) == 2
    assert [i.pointer for i in result.issues] == ["/1", "/3"] and "duplicate" in result.issues[1].message


@pytest.mark.parametrize(
    ("pred", "cut"),
    [("Red. It is on the wall", "Red."), ("Red.", "Red."), ("Red", "Red"), ("3.5 meters", "3."),
     ("A. B. c", "A. B."), (".", "."), ("", "")],
)  # fmt: skip
def test_prediction_cut_after_last_period(pred, cut):
    assert cut_after_last_period(pred) == cut


@pytest.mark.parametrize(
    ("reply", "mark"),
    [("5", 5), ("12", 12), ("Your mark: 4", 4), ("Sure.\nYour mark: 2\nBecause", 2), ("Your mark:  3  ", 3)],
)
def test_parse_mark_official(reply, mark):
    assert parse_mark(reply) == mark


@pytest.mark.parametrize("reply", [" 5", "5.", "mark 4", "Your mark: four", "", "Your mark: 4/5"])
def test_parse_mark_rejects_what_official_cannot_read(reply):
    with pytest.raises(JudgeParseError):
        parse_mark(reply)


def test_lenient_mark_and_clipping():
    assert parse_mark_lenient("I give it 4 out of 5") == 4 and parse_mark_lenient("Your mark: 2") == 2
    with pytest.raises(JudgeParseError):
        parse_mark_lenient("no idea")
    assert [mark_to_score(m) for m in (0, 1, 2, 3, 4, 5, 7)] == [0.0, 0.0, 25.0, 50.0, 75.0, 100.0, 100.0]


def rule(messages):
    """Deterministic LLM-Match judge: reads the 'Your Turn' block of the official prompt."""
    turn = messages[-1]["content"].split("Your Turn:\n", 1)[1]
    fields = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in turn.split("\n"))
    response, answers = fields["Response"].rstrip(".").lower(), [fields["Answer"].rstrip(".").lower()]
    if "Extra Answers" in fields:
        answers += [a.lower() for a in json.loads(fields["Extra Answers"].replace("'", '"'))]
    if response in answers:
        return "5"
    if "partly" in response:
        return "Your mark: 3"
    if "garbage" in response:
        return "I cannot judge this."
    if "seven" in response:
        return "7"
    return "1"


def _preds(samples):
    replies = ["Air conditioning unit. It is white and mounted high", "It is partly wood", "brown", "A lamp", "",
               "garbage", "by the stairs", "seven"]  # fmt: skip
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(samples, replies, strict=False)}
    preds[samples[8].sample_id] = Prediction(samples[8].sample_id, None, "CUDA out of memory")
    return preds  # samples[9] has no prediction


def _judge(server, monkeypatch):
    monkeypatch.setenv("TE_OEQA_KEY", "sk-oeqa")
    return OpenAIJudge(JudgeConfig(model="rule", base_url=server.url, api_key_env="TE_OEQA_KEY", backoff_base=0.01))


def test_llm_match_over_http(oeqa, judge_server, monkeypatch):
    spec, result = oeqa
    samples = [result.samples[i] for i in CHOSEN]
    server = judge_server(rule)
    scores = score_task(spec, samples, _preds(samples), judge=_judge(server, monkeypatch))
    # marks: 5, 3, 5, 1, 1, unreadable, 5 (extra answer), 7 -> 5; inference error -> 0; missing -> left out
    assert server.count == 8  # no call for the error or the missing one; the unreadable reply is not re-asked
    m = scores.metrics
    assert m["overall"]["llm_match"] == pytest.approx((100 + 50 + 100 + 0 + 0 + 100 + 100 + 0) / 8)
    assert m["object recognition"]["llm_match"] == pytest.approx(200 / 3)
    assert m["attribute recognition"]["llm_match"] == pytest.approx(75.0)
    assert m["spatial understanding"]["llm_match"] == 0.0 and m["object localization"]["llm_match"] == 100.0
    assert m["object state recognition"]["llm_match"] is None
    assert m["HM3D"]["llm_match"] == pytest.approx(350 / 6) and m["ScanNet"]["llm_match"] == pytest.approx(50.0)
    statuses = [r.status for r in scores.samples]
    assert statuses == ["ok"] * 5 + ["judge_failed", "ok", "ok", "error", "missing"]
    assert scores.samples[0].parsed == "Air conditioning unit."

    first = next(b for b in server.requests if "white object on the wall" in b["messages"][0]["content"])
    assert first["temperature"] == 0.2 and first["seed"] == 1234 and first["max_tokens"] == 32
    assert len(first["messages"]) == 1 and first["messages"][0]["role"] == "user"
    assert first["messages"][0]["content"].startswith(
        "You are an AI assistant who will help me to evaluate the response"
    )
    assert first["messages"][0]["content"].endswith(
        "Question: What is the white object on the wall above the TV?\nAnswer: Air conditioning unit\n"
        "Response: Air conditioning unit."
    )
    extra = next(b for b in server.requests if "Where is the mirror?" in b["messages"][0]["content"])
    assert (
        "Extra Answers: ['Next to the staircase', 'On the wall near the staircase and the door', "
        in (extra["messages"][0]["content"])
    )
    assert extra["messages"][0]["content"].endswith("'by the stairs']\nResponse: by the stairs")
    empty = next(b for b in server.requests if "room on the dining table" in b["messages"][0]["content"])
    assert empty["messages"][0]["content"].endswith("Answer: Yes\nResponse: ")


def test_missing_zero_and_no_judge(oeqa, judge_server, monkeypatch):
    spec, result = oeqa
    samples = [result.samples[i] for i in CHOSEN]
    server = judge_server(rule)
    scores = score_task(spec, samples, _preds(samples), options={"missing": "wrong"},
                        judge=_judge(server, monkeypatch))  # fmt: skip
    assert scores.metrics["overall"]["llm_match"] == pytest.approx(450 / 9)
    assert scores.metrics["ScanNet"]["llm_match"] == pytest.approx(100 / 3)
    unjudged = score_task(spec, samples, _preds(samples))
    assert unjudged.counts()["n_unjudged"] == 8 and unjudged.headline_value is None
    assert all(v["llm_match"] is None for v in unjudged.metrics.values())
    assert any("unjudged" in n and "gpt-4-1106-preview" in n for n in unjudged.notes)
