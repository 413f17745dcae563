"""Perception Test reply parsing as lmms-eval's perceptiontest_val_mc does it (the official benchmark has no parser:
answers are submitted as option indices): the first `\\b([A-D])\\b` in the stripped reply, else nothing (wrong).

So "(B) text", "The answer is C." and "**A**" parse; lowercase letters and option text alone do not; a reply
such as "A person ..." parses as A, and "D" is a valid parse that is always wrong with 3 options.
"""

from __future__ import annotations

import re

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

_LETTER = re.compile(r"\b([A-D])\b")


def first_letter(response: str | None) -> str | None:
    match = _LETTER.search((response or "").strip())
    return match.group(1) if match else None


@PARSERS.register("perceptiontest_letter")
def parse_perceptiontest(response: str, sample: Sample) -> Parsed:
    letter = first_letter(response)
    return Parsed(letter, "rule" if letter else "none")
