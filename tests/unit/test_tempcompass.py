"""TempCompass: loader on the real question files; official rule matching, judge fallback, captioning, aggregation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.tempcompass import (
    caption_matching_rule,
    captioning_rating,
    multi_choice_rule,
    parse_tempcompass,
    yes_no_rule,
)
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction


@pytest.fixture(scope="module")
def tempcompass(shared_benchmarks: Path):
    spec = get_task("tempcompass")
    result = load_samples(spec, shared_benchmarks)
    assert result.issues == []
    return spec, result.samples


def test_loads_all_7540_real_questions(tempcompass):
    _spec, samples = tempcompass
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts == {"multi-choice": 1580, "yes_no": 2453, "caption_matching": 1503, "captioning": 2004}
    first = samples[0]
    assert first.sample_id == "tempcompass/multi-choice/1034419625/action/0"
    assert first.video == "videos/1034419625.mp4"
    assert first.prompt.endswith("C. passing a basketball\nPlease directly give the best option:")
    assert first.answer == "A. dunking a basketball"
    assert first.source.pointer == "/1034419625/action/0"
    assert first.meta["fine_aspect"] == "fine-grained action"
    yn = next(s for s in samples if s.subset == "yes_no")
    assert yn.prompt == "Is the man dunking?\nPlease answer yes or no:" and yn.answer == "yes"
    cap = next(s for s in samples if s.subset == "captioning")
    assert cap.prompt.endswith("Generated Caption:")
    # the captioning judge is asked the FIRST multi-choice question of the same video and aspect
    assert cap.meta["mc_question"].startswith("What is the man doing in the video?")
    assert cap.meta["mc_answer"] == "A. dunking a basketball"
    assert {s.meta["fine_aspect"] for s in samples if s.meta["dim"] == "order"} == {"order"}


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        ("A. dunking a basketball", 1),
        ("A", 1),
        ("C", 0),
        ("A. anything", 1),
        ("B) dribbling", 0),
        ("(A) dunking a basketball", None),
        ("The answer is A.", None),
        ("**A**", None),
        ("a", None),
        ("dunking a basketball", None),
        ("", None),
        ("E", None),
    ],
)
def test_multi_choice_rule(pred, expected):
    assert multi_choice_rule(pred, "A. dunking a basketball") == expected


@pytest.mark.parametrize(
    ("pred", "answer", "expected"),
    [("Yes.", "yes", 1), ("yes, he is", "no", 0), ("No", "no", 1), ("not sure", "yes", 0), ("Nothing", "no", 1),
     ("The man is dunking.", "yes", None), ("", "yes", None), ("I cannot tell", "no", None)],
)  # fmt: skip
def test_yes_no_rule(pred, answer, expected):
    assert yes_no_rule(pred, answer) == expected


CM_Q = (
    "Which description is a more suitable match for the video?\n"
    "Option 1: The man is dribbling a basketball.\nOption 2: A man is dunking a basketball."
)


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        ("Option 2: A man is dunking a basketball.", 1),
        ("Option 2", 1),
        ("2", 1),
        ("2.", 1),
        ("Option 1", 0),
        ("A man is dunking a basketball.", 1),
        ("(2) A man is dunking a basketball.", 1),  # the sentence after ") "
        ("The man is dribbling a basketball.", 0),
        ("option 2", None),
        ("The second one.", None),
        ("", None),
    ],
)
def test_caption_matching_rule(pred, expected):
    assert caption_matching_rule(pred, CM_Q, "Option 2: A man is dunking a basketball.") == expected


def test_lmms_eval_reads_the_raw_reply(tempcompass):
    """The official scripts strip the reply and drop "</s>" before the rules; lmms-eval matches the raw reply."""
    _spec, samples = tempcompass
    mc = next(s for s in samples if s.meta["format"] == "multi-choice")
    letter = mc.answer[0]
    for reply in (f" {letter}\n", f"{letter}</s>"):
        assert parse_tempcompass(reply, mc).correct is True
        raw = parse_tempcompass(reply, mc, preprocess_reply=False)
        assert not raw.ok and raw.value == reply  # left to the judge, which sees the reply as given


def test_captioning_rating():
    assert captioning_rating("Reasoning: it dunks.\nAnswer: A. dunking a basketball", "A. dunking a basketball") == 1
    assert captioning_rating("Reasoning: x\nAnswer: B. dribbling a basketball", "A. dunking a basketball") == 0
    assert captioning_rating("Answer: A. dunking or B. dribbling", "A. dunking a basketball") == 0  # two letters
    assert captioning_rating("Answer: None of the choices are correct", "A. dunking a basketball") == 0
    assert captioning_rating("", "A. x") == -1


def _mc_reply(s, kind: int) -> tuple[str, int | None]:
    letter, text = s.answer[0], s.answer[3:]
    wrong = "B" if letter == "A" else "A"
    return [
        (letter, 1),
        (f"{letter}. {text}", 1),
        (f"{wrong}) x", 0),
        (f"({letter}) {text}", None),
        (f"The answer is {letter}.", None),
        (letter.lower(), None),
        ("", None),
    ][kind % 7]


def _yn_reply(s, kind: int) -> tuple[str, int | None]:
    return [("Yes.", int(s.answer == "yes")), ("no", int(s.answer == "no")), ("I am not able to tell.", None)][kind % 3]


def _cm_reply(s, kind: int) -> tuple[str, int | None]:
    head, sent = s.answer.split(": ", 1)
    return [(s.answer, 1), (head, 1), (sent, 1), (f"**{head}**", None)][kind % 4]


class RatingJudge:
    """Stand-in for gpt-3.5: "Correct" when the prediction holds the gold letter in parentheses or bold, garbage for
    empty predictions (a parse failure), a caption answer from the caption text."""

    model = "fake-judge"

    def __init__(self) -> None:
        self.requests: list[JudgeRequest] = []

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        out = []
        for req in requests:
            self.requests.append(req)
            user = req.messages[1]["content"]
            if "Video Description:" in user:
                caption = user.rsplit("Video Description:", 1)[1].split("\n", 1)[0]
                text = f"Reasoning: r\nAnswer: {caption}" if caption else ""
            else:
                gold = user.split("Ground-Truth Answer: ", 1)[1].split("\n", 1)[0]
                pred = user.split("Model Prediction: ", 1)[1]
                if not pred:
                    text = "I don't know"
                else:
                    ok = f"({gold[0]})" in pred or f"**{gold.split(':')[0]}**" in pred or f"is {gold[0]}." in pred
                    text = "Correct" if ok else "Incorrect"
            try:
                out.append(JudgeOutcome(req.key, value=req.parse(text), text=text))
            except JudgeParseError as exc:
                out.append(JudgeOutcome(req.key, text=text, error=str(exc)))
        return out


def _predictions(samples):
    preds, rule = {}, {}
    for i, s in enumerate(samples):
        fmt = s.meta["format"]
        if fmt == "captioning":
            # every third caption is empty (the judge then rates -1: official); others name the MC answer or not
            mc = s.meta["mc_answer"]
            reply = [mc, "B. something else" if not mc.startswith("B") else "C. other", ""][i % 3]
            preds[s.sample_id] = Prediction(s.sample_id, reply)
            rule[s.sample_id] = None
            continue
        reply, rating = {"multi-choice": _mc_reply, "yes_no": _yn_reply, "caption_matching": _cm_reply}[fmt](s, i)
        preds[s.sample_id] = Prediction(s.sample_id, reply)
        rule[s.sample_id] = rating
    return preds, rule


def test_without_judge_rule_part_and_unjudged(tempcompass):
    spec, samples = tempcompass
    preds, rule = _predictions(samples)
    missing = samples[0].sample_id  # an MC sample whose reply would be right: officially in no denominator
    del preds[missing]
    scores = score_task(spec, samples, preds)
    for fmt, short in (("multi-choice", "mc"), ("yes_no", "yn"), ("caption_matching", "cm")):
        group = [s for s in samples if s.meta["format"] == fmt]
        answered = [s for s in group if s.sample_id != missing]
        total = sum(rule[s.sample_id] or 0 for s in answered)
        assert scores.metrics["overall"][short] == pytest.approx(100 * total / len(answered)), fmt
        unmatched = sum(rule[s.sample_id] is None for s in group)
        assert scores.metrics[fmt]["n_unjudged"] == unmatched
        action = [s for s in answered if s.meta["dim"] == "action"]
        right = sum(rule[s.sample_id] or 0 for s in action)
        assert scores.metrics[fmt]["action"] == pytest.approx(100 * right / len(action))
        matched = sum(rule[s.sample_id] is not None for s in answered)
        assert scores.metrics[fmt]["match_success_rate"] == pytest.approx(100 * matched / len(answered))
    assert scores.metrics["overall"]["cg"] is None and scores.metrics["overall"]["avg"] is None
    n_unjudged = sum(v is None for v in rule.values())
    assert len(scores.extra["unjudged"]) == n_unjudged and scores.counts()["n_unjudged"] == n_unjudged
    assert any("unjudged" in n for n in scores.notes)
    assert scores.counts()["n_missing"] == 1
    counted = score_task(spec, samples, preds, options={"missing": "wrong"})  # lmms-eval: every doc counts
    mc = [s for s in samples if s.meta["format"] == "multi-choice"]
    total = sum(rule[s.sample_id] or 0 for s in mc if s.sample_id != missing)
    assert counted.metrics["overall"]["mc"] == pytest.approx(100 * total / len(mc))
    # exclude mode: unmatched replies leave the denominator
    excl = score_task(spec, samples, preds, options={"unjudged": "exclude"})
    group = [s for s in samples if s.meta["format"] == "yes_no"]
    matched = [s for s in group if rule[s.sample_id] is not None]
    assert excl.metrics["overall"]["yn"] == pytest.approx(100 * sum(rule[s.sample_id] for s in matched) / len(matched))


def test_with_judge_fallback_and_captioning(tempcompass):
    spec, samples = tempcompass
    preds, rule = _predictions(samples)
    judge = RatingJudge()
    scores = score_task(spec, samples, preds, judge=judge)
    expected: dict[str, float] = {}
    for s in samples:
        reply, r = preds[s.sample_id].response, rule[s.sample_id]
        fmt = s.meta["format"]
        if fmt == "captioning":
            mc = s.meta["mc_answer"]
            expected[s.sample_id] = -1.0 if reply == "" else float(reply == mc)
        elif r is not None:
            expected[s.sample_id] = float(r)
        elif reply == "":
            expected[s.sample_id] = 0.0  # judge reply holds neither Correct nor Incorrect: failed, rated 0
        elif fmt == "multi-choice":
            expected[s.sample_id] = 0.0 if reply.islower() else 1.0  # "(A) text" / "The answer is A." judged right
        elif fmt == "yes_no":
            expected[s.sample_id] = 0.0  # "I am not able to tell." judged Incorrect
        else:
            expected[s.sample_id] = 1.0  # "**Option 2**" judged right
    for fmt, short in (("multi-choice", "mc"), ("yes_no", "yn"), ("caption_matching", "cm"), ("captioning", "cg")):
        group = [s.sample_id for s in samples if s.meta["format"] == fmt]
        assert scores.metrics["overall"][short] == pytest.approx(100 * sum(expected[i] for i in group) / len(group))
    values = [scores.metrics["overall"][k] for k in ("mc", "yn", "cm", "cg")]
    assert scores.metrics["overall"]["avg"] == pytest.approx(sum(values) / 4)
    assert scores.counts()["n_unjudged"] == 0 and scores.counts()["n_judge_failed"] > 0
    # the official prompt shapes reached the judge
    mc_req = next(r for r in judge.requests if "Multi-Choice Question:\n" in r.messages[1]["content"])
    assert mc_req.messages[0]["content"] == "You are an AI assistant for question answering."
    assert mc_req.messages[1]["content"].startswith("\nYou will receive a multi-choice question, the ground-truth")
    assert mc_req.params["temperature"] == 1.0
    # caption_failed_rating=0 removes the -1 quirk
    fixed = score_task(spec, samples, preds, judge=RatingJudge(), options={"caption_failed_rating": 0})
    assert fixed.metrics["overall"]["cg"] > scores.metrics["overall"]["cg"]
