"""LongVideoBench answer extraction (lmms-eval `longvideobench/utils.py`, by the benchmark's author).

The prefixes are removed wherever they occur, then the first capital A-E is the answer. When there is none (or the
text has more than 10 words and no A-E) the official code picks a random valid letter: `lvb_extract` returns None
then, and the scorer draws the letter from a seeded RNG.
"""

from __future__ import annotations

import re

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

LVB_PREFIXES = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is",
    "The correct option is",
    "Best answer:",
    "Best option:",
)


def lvb_extract(response: str) -> str | None:
    s = response.strip()
    for prefix in LVB_PREFIXES:
        s = s.replace(prefix, "")
    if len(s.split()) > 10 and not re.search("[ABCDE]", s):
        return None
    match = re.search("[ABCDE]", s)
    return match[0] if match else None


@PARSERS.register("longvideobench_letter")
def parse_lvb_letter(response: str, sample: Sample) -> Parsed:
    letter = lvb_extract(response or "")
    return Parsed(letter, "rule" if letter else "none")
