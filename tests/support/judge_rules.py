"""Deterministic judge rules of the conformance fixtures: each official scorer was run against a loopback judge
answering with one of these (a pure function of the prompt), and the harness is tested with the same rule.
`rule_judge(name)` is an in-process judge replying by rule; `RULES` names them as the fixtures' meta.json does."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tests.support.judge_server import autodq_rule

_LETTER = re.compile(r"(?<![A-Za-z])([A-Z])(?![A-Za-z])")


def tomato_letter_rule(messages: list[dict[str, Any]]) -> str:
    """TOMATO gpt_parser stand-in; a pure function of the prompt text."""
    prompt = str(messages[-1]["content"])
    start = prompt.index("response: ") + len("response: ")
    end = prompt.rindex("\n\n    all_choices: ")
    response = prompt[start:end]
    tail = prompt[end + len("\n\n    all_choices: ") :]
    choices = ast.literal_eval(tail[: tail.index("\n")])
    i2a = ast.literal_eval(tail[tail.index("index2answer: ") + len("index2answer: ") : tail.index("\n\nOnly output")])
    if "maybe" in response.lower():
        return "I cannot tell."
    for m in _LETTER.finditer(response):
        if m.group(1) in choices:
            return m.group(1)
    low = response.lower()
    for letter in choices:
        if str(i2a[letter]).lower() in low:
            return letter
    return "None"


_MC_LETTER = re.compile(r"(?<![A-Za-z])([A-D])(?![A-Za-z])")
_YN = re.compile(r"\b(yes|no)\b")
_OPT = re.compile(r"^([A-D])\. (.*)$")


def _tc_caption(prompt: str) -> str:
    start = prompt.rindex("\nVideo Description:") + len("\nVideo Description:")
    end = prompt.index("\nMulti-Choice Question:\n", start)
    caption = prompt[start:end]
    if "???" in caption:
        return ""
    question = prompt[end + len("\nMulti-Choice Question:\n") :]
    options = [m.groups() for m in (_OPT.match(line.strip()) for line in question.split("\n")) if m]
    low = caption.lower()
    if "both" in low.split():
        (a, ta), (b, tb) = options[0], options[1]
        return f"Reasoning: it could be either.\nAnswer: {a}. {ta} or {b}. {tb}"
    for letter, text in options:
        if text.lower() in low:
            return f"Reasoning: the description mentions {text}.\nAnswer: {letter}. {text}"
    return "Reasoning: nothing in the description matches.\nAnswer: None of the choices are correct"


def tempcompass_rule(messages: list[dict[str, Any]]) -> str:
    """TempCompass judge stand-in (rating prompts and captioning); a pure function of the last user message."""
    prompt = str(messages[-1]["content"])
    if "\nVideo Description:" in prompt:
        return _tc_caption(prompt)
    gi = prompt.rindex("\nGround-Truth Answer: ")
    pi = prompt.index("\nModel Prediction: ", gi)
    gt = prompt[gi + len("\nGround-Truth Answer: ") : pi]
    pred = prompt[pi + len("\nModel Prediction: ") :]
    if "???" in pred:
        return "Unable to determine."
    if "not sure" in pred.lower():
        return "The prediction is Correct, or maybe Incorrect."
    if "\nMulti-Choice Question:\n" in prompt:
        m = _MC_LETTER.search(pred)
        ok = m.group(1) == gt[0] if m else gt.split(". ", 1)[-1].lower() in pred.lower()
    elif "\nYes/No Question:\n" in prompt:
        m = _YN.search(pred.lower())
        ok = bool(m) and m.group(1) == gt
    else:
        head, _, sent = gt.partition(": ")
        ok = head in pred or sent.lower() in pred.lower()
    return "Correct" if ok else "Incorrect"


RULES: dict[str, Callable[[list[dict[str, Any]]], str]] = {
    "autodq": autodq_rule,
    "tomato_letter_rule": tomato_letter_rule,
    "tempcompass_rule": tempcompass_rule,
}


class RuleJudge:
    """Replies `rule(messages)`; a reply the request's parser rejects is a failed request, as the HTTP judge
    reports it once its parse attempts are spent (the rule is deterministic, so asking again changes nothing)."""

    def __init__(self, name: str):
        self.model = f"rule:{name}"
        self.rule = RULES[name]

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        out = []
        for req in requests:
            text = self.rule(req.messages)
            try:
                out.append(JudgeOutcome(req.key, req.parse(text) if req.parse else text, text, attempts=1))
            except JudgeParseError as exc:
                out.append(JudgeOutcome(req.key, text=text, error=str(exc), attempts=1))
        return out


def rule_judge(name: str) -> RuleJudge:
    return RuleJudge(name)
