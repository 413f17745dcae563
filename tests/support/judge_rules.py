"""Deterministic judge rules of the conformance fixtures: each official scorer was run against a loopback judge
answering with one of these (a pure function of the prompt), and the harness is tested with the same rule.
`rule_judge(name)` is an in-process judge replying by rule; `RULES` names them as the fixtures' meta.json does."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any

from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tests.support.judge_server import Fault, autodq_rule

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


def content_text(content: Any) -> str:
    """A message's text: a plain string, or the text parts of an OpenAI content list joined by newlines."""
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return str(content)


# ---- DREAM-1K: autodq_rule + reply damage the official clean-up repairs (or does not) ----------------------------
_EXTRACT = "Extract at most 10 key events"
_MARKERS = ("<wrongcount>", "<period>", "<placeholder>", "<truefalse>", "<trailing>", "<nocomma>", "<unbraced>",
            "<prose>", "<pyfence>")  # fmt: skip


def _damage_entailment(reply: str, prompt: str) -> str:
    """Rewrite autodq_rule's entailment reply (plain JSON) as the markers in the prompt ask."""
    if not any(m in prompt for m in _MARKERS):
        return reply
    items = json.loads(reply)["events"]
    if "<wrongcount>" in prompt:
        items = items[:-1] if len(items) > 1 else items * 2
    texts = []
    for item in items:
        if "<period>" in prompt:
            item["relationship"] += "."
        text = json.dumps(item)
        if "<placeholder>" in prompt:
            text = text.replace('"reason": ' + json.dumps(item["reason"]), '"reason": [Placeholder]')
        if "<truefalse>" in prompt:
            text = text[:-1] + ', "certain": True}'
        if "<trailing>" in prompt:
            text = text[:-1] + ",\n    }"
        texts.append(text)
    comma = "," if "<trailing>" in prompt else ""
    body = '"events": [\n    ' + ("" if "<nocomma>" in prompt else ",\n    ").join(texts) + comma + "\n  ]"
    text = body if "<unbraced>" in prompt else "{\n  " + body + comma + "\n}"
    if "<prose>" in prompt:
        text = "Here is the JSON:\n" + text
    if "<pyfence>" in prompt:
        text = "```python\n" + text + "\n```"
    return text


def autodq_repairs_rule(messages: list[dict[str, Any]]) -> str:
    """autodq_rule; on prompts holding a marker its reply is damaged first (conformance/dream1k SOURCE.md)."""
    prompt = str(messages[-1].get("content", "")) if messages else ""
    reply = autodq_rule(messages)
    if _EXTRACT in prompt:
        if "<pyfence>" in prompt and not reply.startswith("```"):
            return "```python\n" + reply + "\n```"
        if "<pydict>" in prompt and not reply.startswith("```"):
            return "{'events': " + repr(json.loads(reply)["events"])[:-1] + ",]}"
        if "<listreply>" in prompt and not reply.startswith("```"):
            return json.dumps(json.loads(reply)["events"])
        return reply
    if reply.startswith("```") or not reply.startswith("{"):
        return reply  # autodq_rule's own <fence> / <badentail> replies are left alone
    return _damage_entailment(reply, prompt)


def autodq_repairs_fault_rule(messages: list[dict[str, Any]], n: int) -> Fault | None:
    """`<flaky>`: the first 2 requests with a prompt get an unreadable reply; `<flakycount>`: the first one gets
    the reply of one event too many (entailment prompts only)."""
    prompt = str(messages[-1].get("content", "")) if messages else ""
    if "<flaky>" in prompt and n <= 2:
        return Fault.reply("Sorry, I can not help with that.")
    if "<flakycount>" in prompt and n == 1 and _EXTRACT not in prompt:
        good = json.loads(autodq_repairs_rule(messages).removeprefix("```json\n").removesuffix("\n```"))
        good["events"].append(good["events"][-1])
        return Fault.reply(json.dumps(good))
    return None


# ---- MMBench-Video: 0-3 by word overlap with the ground truth; <reply>X</reply> in the candidate forces X --------
def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 or w.isdigit()}


def mmv_rule(messages: list[dict[str, Any]]) -> str:
    """MMBench-Video judge: the share of the ground truth's tokens (ASCII letters/digits, 3+ characters or a
    number) found in the candidate answer: >= 0.75 -> "3", >= 0.5 -> "2", >= 0.25 -> "1", else "0" (a ground truth
    without tokens -> "1"). A candidate holding `<reply>X</reply>` gets X verbatim (the first such marker). A prompt
    that is not a rating request gets "0"."""
    user = content_text(messages[-1].get("content", "")) if messages else ""
    head, sep, rest = user.partition("\nGroundtruth answer: ")
    gt, sep2, cand = rest.partition("\nCandidate answer: ")
    if not (head.startswith("Question: ") and sep and sep2 and cand.endswith("\nYour response: ")):
        return "0"
    cand = cand[: -len("\nYour response: ")]
    forced = re.search(r"<reply>(.*?)</reply>", cand, re.S)
    if forced:
        return forced.group(1)
    want = _tokens(gt)
    if not want:
        return "1"
    share = len(want & _tokens(cand)) / len(want)
    return "3" if share >= 0.75 else "2" if share >= 0.5 else "1" if share >= 0.25 else "0"


# ---- EventHallusion: yes/no by word overlap with the event; <judge>X</judge> in the description forces X ----------
_EH = re.compile(r"(?:Model output|Output): (.*)(?:Ground-truth event|Unexpected event): (.*)\Z", re.S)
_EH_YES = ["Yes, the description is consistent with the event.", "**Yes**. The event is described.",
           "yes. It matches.", "Yes."]  # fmt: skip
_EH_NO = ["No, the description does not match the event.", "**No**. The event is missing.", "no. It differs.",
          "No."]  # fmt: skip


def eh_rule(messages: list[dict[str, Any]]) -> str:
    """EventHallusion judge: the description (between "Model output: "/"Output: " and the last "Ground-truth
    event: "/"Unexpected event: ") holding `<judge>X</judge>` gets X verbatim (the first marker); otherwise "yes"
    when at least half of the event's words (lower-case ASCII letters, 4+ long) occur in the description (an event
    without such words: "no"), worded as _EH_YES / _EH_NO[len(description) % 4]. Another prompt gets "no"."""
    m = _EH.search(content_text(messages[-1].get("content", "")) if messages else "")
    if not m:
        return "no"
    desc, event = m.group(1), m.group(2)
    forced = re.search(r"<judge>(.*?)</judge>", desc, re.S)
    if forced:
        return forced.group(1)
    want = {w for w in re.findall(r"[a-z]+", event.lower()) if len(w) >= 4}
    have = {w for w in re.findall(r"[a-z]+", desc.lower()) if len(w) >= 4}
    yes = bool(want) and len(want & have) / len(want) >= 0.5
    return (_EH_YES if yes else _EH_NO)[len(desc) % 4]


# ---- OpenEQA LLM-Match: a 1-5 mark by word overlap with the best GT answer; <mark>X</mark> forces X ---------------
def _words_oe(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _norm_oe(text: str) -> str:
    return text.strip().lower().removesuffix(".")


def _mark_oe(gt: str, response: str) -> int:
    want = _words_oe(gt)
    if _norm_oe(gt) == _norm_oe(response):
        return 5
    if not want:
        return 1
    share = len(want & _words_oe(response)) / len(want)
    return 4 if share >= 0.75 else 3 if share >= 0.5 else 2 if share >= 0.25 else 1


def openeqa_rule(messages: list[dict[str, Any]]) -> str:
    """OpenEQA judge: after the last "Your Turn:\\n", reads "Question: ", "Answer: ", optional "Extra Answers: "
    (a Python list literal) and "Response: " (to the end). A response holding `<mark>X</mark>` gets X verbatim (the
    first marker). Otherwise the mark is the best over the answer and each extra answer: 5 when the response equals
    it (lower-cased, stripped, a final "." dropped), else by the share of its words (lower-case ASCII letters /
    digits) found in the response: >= 0.75 -> 4, >= 0.5 -> 3, >= 0.25 -> 2, else 1 (an answer without words: 1).
    Worded by len(response) % 3: 0 -> "<m>", 1 -> "Your mark: <m>", 2 -> "Your mark: <m>\\nThe response is close."
    A prompt without "Your Turn:" gets "1"."""
    text = content_text(messages[-1].get("content", "")) if messages else ""
    turn = text.rpartition("Your Turn:\n")[2]
    m = re.match(r"Question: (.*?)\nAnswer: (.*?)\n(?:Extra Answers: (.*?)\n)?Response: (.*)\Z", turn, re.S)
    if not m:
        return "1"
    answer, extra, response = m.group(2), m.group(3), m.group(4)
    forced = re.search(r"<mark>(.*?)</mark>", response, re.S)
    if forced:
        return forced.group(1)
    answers = [answer] + (list(ast.literal_eval(extra)) if extra else [])
    best = max(1, *(_mark_oe(str(gt), response) for gt in answers))
    return [f"{best}", f"Your mark: {best}", f"Your mark: {best}\nThe response is close."][len(response) % 3]


RULES: dict[str, Callable[[list[dict[str, Any]]], str]] = {
    "autodq": autodq_rule,
    "tomato_letter_rule": tomato_letter_rule,
    "tempcompass_rule": tempcompass_rule,
    "autodq_repairs": autodq_repairs_rule,
    "mmv": mmv_rule,
    "eh": eh_rule,
    "openeqa": openeqa_rule,
}
FAULT_RULES: dict[str, Callable[[list[dict[str, Any]], int], Fault | None]] = {
    "autodq_repairs_fault_rule": autodq_repairs_fault_rule,
}


class RuleJudge:
    """Replies `rule(messages)` (a rule of RULES by name, or any function); a blank reply or one the request's
    parser rejects is a failed request, as the HTTP judge reports it once its parse attempts are spent (the rule is
    deterministic, so asking again changes nothing). `fails(request)` may name an error for a request that fails
    as a call that ran out of retries."""

    def __init__(self, rule: str | Callable[[list[dict[str, Any]]], str], model: str | None = None,
                 fails: Callable[[JudgeRequest], str | None] | None = None):  # fmt: skip
        self.model = model or (f"rule:{rule}" if isinstance(rule, str) else "rule")
        self.rule = RULES[rule] if isinstance(rule, str) else rule
        self.fails = fails

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        out = []
        for req in requests:
            error = self.fails(req) if self.fails else None
            if error is not None:
                out.append(JudgeOutcome(req.key, error=error, attempts=3))
                continue
            text = self.rule(req.messages)
            try:
                if not text.strip():
                    raise JudgeParseError("empty reply")  # as the HTTP judge: blank content never parses
                out.append(JudgeOutcome(req.key, req.parse(text) if req.parse else text, text, attempts=1))
            except JudgeParseError as exc:
                out.append(JudgeOutcome(req.key, text=text, error=str(exc), attempts=1))
        return out


def rule_judge(name: str) -> RuleJudge:
    return RuleJudge(name)
