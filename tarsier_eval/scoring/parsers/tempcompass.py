"""TempCompass's official rule-based answer matching (llyx97/TempCompass eval_*.py) and judge-reply ratings.

Each rule returns 1 or 0 when it matched the reply and None when it did not (then the official scripts ask
ChatGPT, or rate 0 with --disable_llm). Replies are preprocessed as officially: "</s>" removed, stripped.
"""

from __future__ import annotations

from tarsier_eval.data.sample import Sample
from tarsier_eval.judges.base import JudgeParseError
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

MC_LETTERS = ("A", "B", "C", "D")


def preprocess(response: str) -> str:
    return response.replace("</s>", "").strip()


def multi_choice_rule(pred: str, answer: str) -> int | None:
    """Exact answer line; a bare A-D; "X." or "X)" prefixes. Letters beyond D are never matched (official)."""
    if pred == answer:
        return 1
    if pred in MC_LETTERS:
        return int(pred == answer[0])
    if any(pred.startswith(f"{x}.") for x in MC_LETTERS):
        return int(pred.split(".")[0] == answer[0])
    if any(pred.startswith(f"{x})") for x in MC_LETTERS):
        return int(pred.split(")")[0] == answer[0])
    return None


def yes_no_rule(pred: str, answer: str) -> int | None:
    """ "yes"/"no" when the lower-cased reply starts with it ("nope" and "not sure" read as "no": official)."""
    lowered = pred.lower()
    if lowered.startswith("yes"):
        return int(answer == "yes")
    if lowered.startswith("no"):
        return int(answer == "no")
    return None


def _after_colon(text: str) -> str | None:
    parts = text.split(": ")
    return parts[1] if len(parts) > 1 else None


def caption_matching_rule(pred: str, question: str, answer: str) -> int | None:
    """`eval_rule`: the reply equals a whole option line, an option sentence (also after a ") " split) or an option
    index ("Caption A", "A", "Option 1", "1", also with dots removed); the last match wins, as officially."""
    option_strs = question.split("\n")[1:]
    option_sents = [s for s in (_after_colon(o) for o in option_strs) if s is not None]
    heads = [o.split(": ")[0] for o in option_strs]
    option_inds = heads + [h.replace("Sentence ", "").replace("Option ", "").replace("Caption ", "") for h in heads]
    matched = None
    for option_str in option_strs:
        if option_str == pred:
            matched = option_str
    for sent in option_sents:
        if sent == pred or (") " in pred and sent == pred.split(") ")[1]):
            matched = sent
    for ind in option_inds:
        if ind == pred or ind == pred.replace(".", ""):
            matched = ind
    if matched is None:
        return None
    head = answer.split(": ")[0].split()
    accepted = {answer, answer.split(":")[0], _after_colon(answer), head[1] if len(head) > 1 else None}
    return int(matched in accepted)


def rating_from_judge(text: str) -> int:
    """`llm_output_to_rating`: Correct/Incorrect at the start, else by which word occurs; neither is a retry."""
    text = text.strip()
    if "Correct" not in text and "Incorrect" not in text:
        raise JudgeParseError(f"neither Correct nor Incorrect in {text!r}")
    if text.startswith("Correct"):
        return 1
    if text.startswith("Incorrect"):
        return 0
    return int("Correct" in text and "Incorrect" not in text)


def captioning_rating(llm_output: str, mc_answer: str) -> int:
    """eval_captioning.py `parse_llm_output`: the judge's "Answer:" line must start with the MC answer's letter
    ("B. ...") and hold exactly one of "A." "B." "C." "D."; an empty reply is rated -1 (official)."""
    llm_output = llm_output.strip()
    if not llm_output:
        return -1
    chosen = None
    for line in llm_output.split("\n"):
        line = line.strip()
        if "Answer" in line:
            chosen = line.replace("Answer:", "").strip()
    if chosen is None:
        chosen = llm_output
    count = sum(chosen.count(f"{x}.") for x in MC_LETTERS)
    return int(chosen.split(". ")[0] == mc_answer.split(". ")[0] and count == 1)


@PARSERS.register("tempcompass_rules")
def parse_tempcompass(response: str, sample: Sample, *, preprocess_reply: bool = True) -> Parsed:
    """The official rule of the sample's task format on the preprocessed reply (`preprocess_reply: false`: the raw
    reply, as lmms-eval); no rule for captioning, and a reply no rule matches is left to the judge ("none")."""
    pred = preprocess(response) if preprocess_reply else response
    fmt = sample.meta["format"]
    rating = None
    if fmt == "multi-choice":
        rating = multi_choice_rule(pred, sample.answer)
    elif fmt == "yes_no":
        rating = yes_no_rule(pred, sample.answer)
    elif fmt == "caption_matching":
        rating = caption_matching_rule(pred, sample.meta["question"], sample.answer)
    if rating is None:
        return Parsed(pred, "none")
    return Parsed(pred, "rule", bool(rating))
