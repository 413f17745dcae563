"""Video-MME's official answer extraction (thanku-all/parse_answer `eval_your_results.py::extract_characters_regex`).

Each prefix in `VIDEOMME_PREFIXES` is removed wherever it occurs (case-sensitive `str.replace`), then the first
capital A-D anywhere in the text is the answer; "" when there is none (or when the text has more than 10 words and
no A-D). Two entries of the official list lack a separating comma, so Python concatenates them into strings that
never occur ("The best option isThe correct option is", "Best answer:Best option:"): they are kept as is.
Quirk kept: any capital A-D counts, so "A dog is..." parses as A and "I think it's C" parses as C.
"""

from __future__ import annotations

import re

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

VIDEOMME_PREFIXES = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option isThe correct option is",
    "Best answer:Best option:",
    "Answer:",
    "Option:",
    "The correct answer",
    "The correct option",
)


def videomme_extract(response: str, letters: str = "ABCD") -> str:
    """The official letter, or "" when the official script finds none."""
    s = response.strip()
    for prefix in VIDEOMME_PREFIXES:
        s = s.replace(prefix, "")
    pattern = f"[{letters}]"
    if len(s.split()) > 10 and not re.search(pattern, s):
        return ""
    match = re.search(pattern, s)
    return match[0] if match else ""


@PARSERS.register("videomme_letter")
def parse_videomme_letter(response: str, sample: Sample) -> Parsed:
    letter = videomme_extract(response or "")
    return Parsed(letter or None, "rule" if letter else "none")
