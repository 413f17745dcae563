"""Multiple-choice answer parsing: MVBench's `check_ans` rule and a robust letter extractor.

`mvbench_check_ans` reproduces the official MVBench / TVBench notebook rule (read from
OpenGVLab/Ask-Anything `video_chat2/mvbench.ipynb` and daniel-cores/tvbench `vqa_dataset.py`):
the first *space*-separated token of the lower-cased prediction is compared with the first token of the gold
"(B) text" string by substring containment in both directions. Its quirk: a prediction whose first token is a bare
"(" (an empty reply after the "Best option:(" prefix) is a substring of every gold option and counts as correct.
"""

from __future__ import annotations

import re

from tarsier_eval.data.options import LETTERS, option_label
from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed


def mvbench_check_ans(pred: str, gt: str) -> bool:
    """The official rule: `pred` is "(" + first reply line, `gt` is "(B) option text"."""
    pred_option = pred.lower().split(" ")[0]
    gt_option = gt.lower().split(" ")[0]
    return pred_option.replace(".", "") in gt_option or gt_option in pred_option


def mvbench_prediction(response: str, prefix: str = "(") -> str:
    """What the official notebook scores: the return prompt plus the first line of the stripped reply."""
    return prefix + response.strip().split("\n")[0]


_PATTERNS = [
    r"^\s*\(?([A-Z])\)?\s*$",  # "B", "(B)"
    r"^\s*\(([A-Z])\)",  # "(B) text"
    r"^\s*\*\*\(?([A-Z])\)?[.:)]?\*\*",  # "**B**", "**(B)**"
    r"^\s*([A-Z])[.:)]\s",  # "B. text", "B) text"
    r"^\s*([A-Z])[.:)]?\s*$",  # "B." alone
    r"(?:answer|option|choice)\s*(?:is|:)?\s*[:\-]?\s*\**\(?([A-Z])\b\)?",  # "The answer is C."
    r"\(([A-Z])\)",  # "(C)" anywhere
    r"\b([A-Z])\b(?=[.)]?\s*$)",  # trailing letter "... is B"
]  # fmt: skip


def extract_choice_letter(
    text: str | None, options: list[str] | None = None, n_options: int | None = None
) -> str | None:
    """The chosen letter in a free-form reply, or None.

    Tries, in order: bare/parenthesised/bold letters, "The answer is X", "(X)" anywhere, a trailing letter, and
    finally a reply that contains exactly one option's text. Letters beyond the option count are rejected.
    """
    if not text:
        return None
    limit = n_options if n_options is not None else (len(options) if options else len(LETTERS))
    valid = set(LETTERS[:limit])
    cleaned = text.strip()
    for pattern in _PATTERNS:
        flags = re.IGNORECASE if "answer" in pattern else 0
        match = re.search(pattern, cleaned, flags)
        if match and match.group(1).upper() in valid:
            return match.group(1).upper()
    if options:
        lowered = cleaned.lower()
        hits = [i for i, opt in enumerate(options) if opt and opt.lower().strip(" .") in lowered]
        if len(hits) == 1:
            return option_label(hits[0])
    return None


def gold_option_text(sample: Sample) -> str:
    """The gold answer as the notebook writes it: "(B) option text"."""
    index = ord(sample.answer) - ord("A")
    text = sample.options[index] if sample.options and 0 <= index < len(sample.options) else ""
    return f"({sample.answer}) {text}".strip()


@PARSERS.register("choice_letter")
def parse_choice_letter(response: str, sample: Sample) -> Parsed:
    """A robust letter extraction: correct when the letter is the gold one; no letter is unparsed (and wrong)."""
    letter = extract_choice_letter(response, sample.options)
    return Parsed(letter, "rule" if letter else "none")


@PARSERS.register("mvbench_check_ans")
def parse_mvbench_check_ans(
    response: str, sample: Sample, *, prefix: str = "(", empty_is_wrong: bool = False
) -> Parsed:
    """Correctness by the official check_ans on `prefix` + the reply's first line; `value` is the letter the reply
    names (robust extraction), and a reply naming none is unparsed (its check_ans verdict still counts).
    `empty_is_wrong` fixes check_ans's quirk that an empty reply matches every option."""
    official = mvbench_prediction(response, prefix)
    correct = mvbench_check_ans(official, gold_option_text(sample))
    if empty_is_wrong and not response.strip():
        correct = False
    letter = extract_choice_letter(response, sample.options)
    return Parsed(letter, "rule" if letter else "none", correct, {"check_ans_input": official})
