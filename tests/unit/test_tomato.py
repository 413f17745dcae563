"""TOMATO: loader on the six real annotation files; official regex -> LLM -> seeded random parsing and scores."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.tomato import tomato_pre_parser
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction


class LetterJudge:
    """A deterministic stand-in for gpt-4o-mini: answers the first standalone capital A-G of the model's reply."""

    model = "fake-parser"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        outcomes = []
        for req in requests:
            prompt = req.messages[0]["content"]
            self.prompts.append(prompt)
            reply = prompt.split("response: ", 1)[1].split("\n", 1)[0]
            match = re.search(r"\b([A-G])\b", reply)
            text = match.group(1) if match else "I am not sure"
            try:
                outcomes.append(JudgeOutcome(req.key, value=req.parse(text), text=text))
            except JudgeParseError as exc:
                outcomes.append(JudgeOutcome(req.key, text=text, error=str(exc)))
        return outcomes


@pytest.fixture(scope="module")
def tomato(shared_benchmarks: Path):
    spec = get_task("tomato")
    result = load_samples(spec, shared_benchmarks)
    assert result.issues == []
    return spec, result.samples


def test_loads_all_1484_real_questions(tomato):
    _spec, samples = tomato
    assert len(samples) == 1484
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts == {"count": 292, "direction": 403, "rotation": 286, "shape&trend": 223,
                      "velocity&frequency": 210, "visual_cues": 70}  # fmt: skip
    first = samples[0]
    assert first.sample_id == "tomato/count/0"
    assert first.video == "videos/human/0209-03.mp4"
    assert first.options == ["2", "1", "3", "4", "5", "0"] and first.answer == "C"
    assert first.source.file == "full.count.json" and first.source.pointer == "/0"
    assert "You will be provided with 16 separate frames" in first.prompt
    assert "<options> \n{'A': '2', 'B': '1', 'C': '3', 'D': '4', 'E': '5', 'F': '0'} \n</options>" in first.prompt
    assert first.prompt.endswith("DO NOT GENERATE ANSWER SUCH AS 'NOT POSSIBLE TO DETERMINE.' \n")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("C", "C"),
        (" c\n", "C"),
        ("Answer is:D", "D"),
        ("Answer is(B)", "B"),
        ("Answer is: D", ""),  # the official regex allows no space before the letter
        ("Answer is (B)", ""),
        ("answer is B", ""),  # case-sensitive "Answer is"
        ("Answer is G", ""),  # only A-F in the regex
        ("C: 3", "C"),  # numeric option: "C: 3".upper() is a full choice
        ("(C) 3", ""),
        ("The answer is C.", ""),
        ("**C**", ""),
        ("3", ""),  # option text without letter
        ("", ""),
        ("I cannot determine this.", ""),
    ],
)
def test_official_pre_parser(reply, expected):
    choices = ["A", "B", "C", "D", "E", "F"]
    index2ans = dict(zip(choices, ["2", "1", "3", "4", "5", "0"], strict=True))
    assert tomato_pre_parser(reply, choices, index2ans) == expected


def test_text_option_full_choice_quirk():
    # "A: left".upper() == "A: LEFT" is not "A: left": the official exact-choice rule misses text options
    assert tomato_pre_parser("A: left", ["A", "B"], {"A": "left", "B": "right"}) == ""


REPLIES = {
    0: lambda s: s.answer,  # bare letter: rule, right
    1: lambda s: s.answer.lower(),  # lowercase letter: rule, right
    2: lambda s: f"({s.answer}) {s.options[ord(s.answer) - 65]}",  # LLM parses the letter: right
    3: lambda s: f"The answer is {s.answer}.",  # LLM parses the letter: right
    4: lambda s: f"**{s.answer}**",  # LLM: right
    5: lambda s: "I cannot determine this.",  # LLM fails (reply holds "I" only) -> seeded random
    6: lambda s: "",  # LLM fails -> random
    7: lambda s: f"Answer is:{'A' if s.answer != 'A' else 'B'}",  # rule, wrong
    8: lambda s: f"Answer is: {s.answer}",  # a space: not the official regex; LLM: right
}


def _expected(s, kind: int, seed: int) -> tuple[float, str]:
    if kind in (0, 1):
        return 1.0, "rule"
    if kind == 7:
        return 0.0, "rule"
    if kind in (2, 3, 4, 8):
        return 1.0, "llm"
    letter = random.Random(f"{seed}:tomato:{s.sample_id}").choice(s.meta["all_choices"])
    return float(letter == s.answer), "random"


def test_scores_with_llm_parser_and_seeded_fallback(tomato):
    spec, samples = tomato
    preds: dict[str, Prediction] = {}
    expected: dict[str, tuple[float, str]] = {}
    for i, s in enumerate(samples):
        kind = i % 9
        preds[s.sample_id] = Prediction(s.sample_id, REPLIES[kind](s))
        expected[s.sample_id] = _expected(s, kind, seed=7)
    missing = samples[-1].sample_id
    del preds[missing]
    del expected[missing]  # officially a question without output is in no denominator
    judge = LetterJudge()
    scores = score_task(spec, samples, preds, judge=judge, seed=7)
    n = len(samples)
    total = sum(v[0] for v in expected.values())
    assert scores.metrics["overall"]["accuracy"] == pytest.approx(100 * total / (n - 1))
    for rtype in ("count", "visual_cues"):
        ids = [s.sample_id for s in samples if s.subset == rtype and s.sample_id != missing]
        assert scores.metrics[rtype]["accuracy"] == pytest.approx(100 * sum(expected[i][0] for i in ids) / len(ids))
    human = [s.sample_id for s in samples if s.meta["demonstration_type"] == "human" and s.sample_id != missing]
    assert scores.metrics["demonstration:human"]["accuracy"] == pytest.approx(
        100 * sum(expected[i][0] for i in human) / len(human)
    )
    methods = [v[1] for v in expected.values()]  # shares of the questions that have an output
    assert scores.metrics["overall"]["parsed_random"] == pytest.approx(100 * methods.count("random") / (n - 1))
    assert scores.metrics["overall"]["parsed_llm"] == pytest.approx(100 * methods.count("llm") / (n - 1))
    assert scores.counts()["n_unparsed"] == methods.count("random")
    assert scores.counts()["n_missing"] == 1
    # the judge saw the official prompt with the raw reply, the choices list and the index2ans dict
    assert judge.prompts[0].startswith("You are given a response, a list of multiple-choice options")
    assert "all_choices: ['A', 'B', 'C', 'D', 'E', 'F']" in judge.prompts[0]
    # the same seed gives the same random fallbacks; scoring is repeatable
    again = score_task(spec, samples, preds, judge=LetterJudge(), seed=7)
    assert again.metrics == scores.metrics
    # `missing: wrong` counts the question wrong instead
    zero = score_task(spec, samples, preds, judge=LetterJudge(), seed=7, options={"missing": "wrong"})
    assert zero.metrics["overall"]["accuracy"] == pytest.approx(100 * total / n)


def test_without_judge_regex_then_random(tomato):
    spec, samples = tomato
    preds = {s.sample_id: Prediction(s.sample_id, f"({s.answer})") for s in samples}  # never parsed by the regex
    scores = score_task(spec, samples, preds, seed=3)
    assert scores.metrics["overall"]["parsed_random"] == 100.0
    expected = sum(random.Random(f"3:tomato:{s.sample_id}").choice(s.meta["all_choices"]) == s.answer for s in samples)
    assert scores.metrics["overall"]["accuracy"] == pytest.approx(100 * expected / len(samples))
    assert any(n.startswith("WARNING: no LLM parser") and "RANDOM" in n for n in scores.notes)
    other = score_task(spec, samples, preds, seed=4)
    assert other.metrics["overall"]["accuracy"] != scores.metrics["overall"]["accuracy"]


def test_official_random_draws_follow_the_result_folder_order(tomato):
    """`official_random_seed`: one RNG, seeded once, drawn for each fallback in the official order (result folders
    as listed, then annotation order), like `random.seed(S); parse_result.main()`; the partial file's shares of
    parse methods are over the questions with an output."""
    spec, samples = tomato
    chosen = [s for s in samples if s.subset in ("count", "rotation")][::7]
    preds = {s.sample_id: Prediction(s.sample_id, "(x)" if i % 3 else s.answer) for i, s in enumerate(chosen)}
    order = "rotation+object;rotation+human;count+simulated;rotation+simulated;count+human;count+object"
    scores = score_task(spec, samples, preds, seed=5,
                        options={"official_random_seed": 11, "official_file_order": order})  # fmt: skip
    rng = random.Random(11)
    by_id = {r.sample_id: r for r in scores.samples}
    fallbacks = [s for s in chosen if by_id[s.sample_id].detail["parse"] == "random"]
    folders = order.split(";")
    fallbacks.sort(key=lambda s: folders.index(f"{s.subset}+{s.meta['demonstration_type']}"))  # stable: file order
    assert len(fallbacks) > 20
    for s in fallbacks:
        assert by_id[s.sample_id].parsed == rng.choice(s.meta["all_choices"]), s.sample_id
    assert scores.metrics["overall"]["parsed_rule"] + scores.metrics["overall"]["parsed_random"] == pytest.approx(100)
    assert scores.metrics["overall"]["parsed_random"] == pytest.approx(100 * len(fallbacks) / len(chosen))
    with pytest.raises(ConfigError, match="count\\+object"):
        score_task(spec, samples, preds, options={"official_random_seed": 11, "official_file_order": order[:-13]})


def test_malformed_record_is_a_load_issue(tmp_path, shared_benchmarks):
    spec = get_task("tomato")
    root = tmp_path / "TOMATO" / "data"
    root.mkdir(parents=True)
    for ann in spec.annotations:
        src = shared_benchmarks / "TOMATO" / ann.aliases[-1]
        (root / Path(ann.name).name).write_text(src.read_text())
    records = json.loads((root / "rotation.json").read_text())
    records["5"]["answer"] = 9
    (root / "rotation.json").write_text(json.dumps(records))
    result = load_samples(spec, tmp_path)
    assert len(result.samples) == 1483
    assert len(result.issues) == 1 and "data/rotation.json#/5" in str(result.issues[0])
