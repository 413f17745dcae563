"""Multiple-choice replies as the Tarsier team's evaluation code reads them (bytedance/tarsier, tarsier2 branch,
`evaluation/metrics/evaluate_qa_mc.py` AccuracyMetric and `evaluate_video_mme.py` VideoMMEAccuracyMetric).

The reply (the continuation after the assistant prefix " Answer: (") loses every "(" and ")", is stripped, and its
first character is the answer; a digit in `mapped_digits` becomes the letter `chr(ord("A") + digit)` ("0" -> A,
"1" -> B on AccuracyMetric; VideoMMEAccuracyMetric and Tarsier1's AccuracyMetric map only "1"-"5", so "1" -> B
and "0" stays a digit). The reply is valid only when that character is an upper-case letter by Python's
`str.isupper() and str.isalpha()`: full-width "Ｂ" and Cyrillic "В" are valid (and never right), circled "Ⓑ",
lower-case "b", "[A]", "**A**" and an empty reply are invalid. Invalid replies are "unparsed"; the Tarsier code
leaves them out of every denominator (protocol option `unparsed: exclude`).
"""

from __future__ import annotations

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed


def tarsier_first_char(response: str, mapped_digits: str = "012345") -> tuple[str, bool]:
    """(the character Tarsier's metric compares with the gold letter, whether the reply is valid)."""
    text = response.replace("(", "").replace(")", "").strip()
    if not text:
        return "", False
    first = text[0]
    if first in mapped_digits:
        first = chr(ord("A") + int(first))
    return first, first.isupper() and first.isalpha()


@PARSERS.register("tarsier_first_char")
def parse_tarsier_first_char(response: str, sample: Sample, *, mapped_digits: str = "012345") -> Parsed:
    """Tarsier's AccuracyMetric rule (see the module docstring); correct when the character is the gold letter."""
    first, valid = tarsier_first_char(response, mapped_digits)
    return Parsed(first or None, "rule" if valid else "none", valid and first == sample.answer)
