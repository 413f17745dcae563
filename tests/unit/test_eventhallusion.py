"""EventHallusion: yes/no QA as eval.py, the always-"no" baseline, and the judged descriptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.yes_no import eventhallusion_answer as extract_pred
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.scorers.eventhallusion import extract_judgement
from tarsier_eval.scoring.types import Prediction
from tests.support.judge_server import judge_server_fixture  # noqa: F401
from tests.support.stub_judge import StubJudge

QUESTIONS = {"entire": 114, "interleave": 193, "misleading": 102}
VIDEOS = {"entire": 109, "interleave": 193, "misleading": 95}


@pytest.fixture(scope="module")
def eh(shared_benchmarks: Path):
    spec = get_task("eventhallusion")
    return spec, load_samples(spec, shared_benchmarks).samples


def test_loads_questions_and_descriptions(eh):
    _spec, samples = eh
    for split in QUESTIONS:
        assert sum(s.subset == split and s.meta["kind"] == "qa" for s in samples) == QUESTIONS[split]
        assert sum(s.subset == split and s.meta["kind"] == "desc" for s in samples) == VIDEOS[split]
    by_id = {s.sample_id: s for s in samples}
    q = by_id["eventhallusion/entire_001/q0"]
    assert q.prompt == "Is the man playing with the dog in the video?\nPlease answer yes or no:" and q.answer == "No."
    assert q.source.pointer == "/0/questions/0" and q.video == "videos/entire/entire_001.mp4"
    d = by_id["eventhallusion/interleave_001/desc"]
    assert d.prompt == "Please describe this video in detail." and d.source.pointer == "/0"
    assert d.answer == "Suddenly the beluga scares the kid with its mouth open when the kid is watching him."
    assert by_id["eventhallusion/entire_001/desc"].answer == "The white dog was barking wildly at the passing man."


@pytest.mark.parametrize(
    ("reply", "parsed"),
    [("Yes.", "Yes."), ("yes, he is", "Yes."), ("No", "No."), ("Not sure", "No."), (" Yes", None), ("", None),
     ("The answer is no.", None)],
)  # fmt: skip
def test_extract_pred(reply, parsed):
    assert extract_pred(reply) == parsed


def test_extract_judgement():
    assert extract_judgement("**Yes.** The description...") == "yes"
    assert extract_judgement("No, the model...") == "no"
    assert extract_judgement("The description is consistent") is None


def test_qa_accuracy_and_always_no_baseline(eh):
    spec, samples = eh
    preds = {s.sample_id: Prediction(s.sample_id, "No, it is not.") for s in samples if s.meta["kind"] == "qa"}
    first_interleave = next(s for s in samples if s.subset == "interleave" and s.meta["kind"] == "qa")
    preds[first_interleave.sample_id] = Prediction(first_interleave.sample_id, "Yes, the beluga scares the kid.")
    scores = score_task(spec, samples, preds)
    m = scores.metrics
    assert m["entire"]["accuracy"] == 100.0 and m["entire"]["always_no_accuracy"] == 100.0
    assert m["interleave"]["accuracy"] == pytest.approx(100 / 193) and m["interleave"]["always_no_accuracy"] == 0.0
    assert m["overall"]["accuracy"] == pytest.approx(100 * 217 / 409)
    assert m["overall"]["always_no_accuracy"] == pytest.approx(100 * 216 / 409)
    assert m["overall"]["desc_accuracy"] is None and m["entire"]["desc_accuracy"] is None
    counts = scores.counts()
    assert counts["n_unjudged"] == 0 and counts["n_missing"] == 397  # no descriptions were given


def test_descriptions_judged_with_the_official_prompts(eh):
    spec, samples = eh
    descs = [s for s in samples if s.meta["kind"] == "desc"]
    preds = {s.sample_id: Prediction(s.sample_id, f"A video about {s.meta['video_id']}.") for s in descs}
    empty = next(s for s in descs if s.subset == "misleading")
    preds[empty.sample_id] = Prediction(empty.sample_id, "")

    def reply(req):
        vid = req.key.split("/")[1]
        if vid == "entire_002":
            return None  # the judge call fails
        if vid == "entire_003":
            return "It is hard to say."  # unmatched
        return "**Yes.** consistent" if vid.startswith(("entire", "misleading")) else "No. Not mentioned."

    judge = StubJudge(reply)
    no_judge = score_task(spec, samples, preds)
    assert no_judge.counts()["n_unjudged"] == 396 and no_judge.metrics["overall"]["desc_accuracy"] is None
    scores = score_task(spec, samples, preds, judge=judge)
    assert len(judge.requests) == 396  # the empty description is not sent
    req = next(r for r in judge.requests if r.key == "eventhallusion/entire_001/desc")
    assert req.messages[0]["content"].startswith("You are ChatGPT, a large language model trained by OpenAI")
    assert req.messages[1]["content"].endswith(
        "Model output: A video about entire_001.Ground-truth event: The white dog was barking wildly at the passing man."
    )
    inter = next(r for r in judge.requests if r.key == "eventhallusion/interleave_001/desc")
    assert "Output: A video about interleave_001.Unexpected event: Suddenly the beluga" in inter.messages[1]["content"]
    m = scores.metrics
    assert m["entire"]["desc_accuracy"] == pytest.approx(100 * 107 / 109)
    assert m["interleave"]["desc_accuracy"] == 0.0
    assert m["misleading"]["desc_accuracy"] == pytest.approx(100 * 94 / 95)
    assert m["overall"]["desc_accuracy"] == pytest.approx(100 * 201 / 397)
    # eval.py: every judgement that reads neither yes nor no: entire_003's, the failed call's and the empty one's
    assert m["overall"]["desc_unmatched_rate"] == pytest.approx(100 * 3 / 397)
    by_id = {r.sample_id: r for r in scores.samples}
    assert by_id["eventhallusion/entire_002/desc"].status == "judge_failed"
    assert by_id[empty.sample_id].status == "unparsed" and by_id[empty.sample_id].score == 0.0


def test_unmatched_rates_and_missing_samples_as_eval_py(eh):
    """eval.py's "Not matching rate": QA replies read as neither yes nor no (a null one included) over the questions
    in the file; a sample without a prediction is in no denominator (eval.py counts only what its file holds)."""
    spec, samples = eh
    qa = [s for s in samples if s.meta["kind"] == "qa" and s.subset == "entire"][:10]
    descs = [s for s in samples if s.meta["kind"] == "desc" and s.subset == "entire"][:4]
    replies = ["No.", "no", "Nope", " No.", "Maybe", "", "Yes.", "No.", "No."]
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(qa[:9], replies, strict=True)}
    preds[qa[8].sample_id] = Prediction(qa[8].sample_id, None, "null response")
    preds.update(
        {s.sample_id: Prediction(s.sample_id, t) for s, t in zip(descs[:3], ["", "A dog.", "A cat."], strict=True)}
    )
    verdicts = {descs[1].sample_id: "**Yes**, it is.", descs[2].sample_id: "Hmm."}
    scores = score_task(spec, samples, preds, judge=StubJudge(lambda req: verdicts[req.key]))
    m = scores.metrics
    assert m["entire"]["accuracy"] == pytest.approx(100 * 4 / 9)  # qa[9] and the other splits are missing
    assert m["overall"]["accuracy"] == pytest.approx(100 * 4 / 9) and m["interleave"]["accuracy"] is None
    assert m["overall"]["qa_unmatched_rate"] == pytest.approx(100 * 4 / 9)  # " No.", "Maybe", "", null
    assert m["overall"]["desc_accuracy"] == pytest.approx(100 / 3)  # descs[3] is missing
    assert m["overall"]["desc_unmatched_rate"] == pytest.approx(100 * 2 / 3)  # the empty one (not sent) and "Hmm."
    by_id = {r.sample_id: r for r in scores.samples}
    assert by_id[qa[9].sample_id].status == "missing" and by_id[qa[9].sample_id].score is None
    wrong = score_task(spec, samples, preds, options={"missing": "wrong"})
    assert wrong.metrics["entire"]["accuracy"] == pytest.approx(100 * 4 / 114)


def test_a_blank_judge_reply_is_asked_once_and_not_matching(eh, judge_server):
    """gpt4o_judge.py keeps a blank reply as the judgement (eval.py: not matching) and asks again only on HTTP
    errors; over the real HTTP judge the description is asked once and counts as not matching."""
    spec, samples = eh
    desc = next(s for s in samples if s.meta["kind"] == "desc")
    server = judge_server(lambda messages: "   ")
    judge = OpenAIJudge(JudgeConfig(model="gpt-4o", base_url=server.url, api_key_env="TE_NO_KEY", backoff_base=0.01))
    scores = score_task(spec, [desc], {desc.sample_id: Prediction(desc.sample_id, "A dog barks.")}, judge=judge)
    assert server.count == 1 and scores.samples[0].status == "judge_failed" and scores.samples[0].score == 0.0
    assert scores.metrics["overall"]["desc_unmatched_rate"] == 100.0
