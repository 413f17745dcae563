"""Replies read by their first character, as TemporalBench's and Vinoground's official scripts read them."""

from __future__ import annotations

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed


@PARSERS.register("temporalbench_first_char")
def parse_temporalbench(response: str, sample: Sample) -> Parsed:
    """get_qa_acc.py: the reply's first character, lower-cased, equals the gold letter lower-cased ("B. ..." and
    "b" are B; " B" and "(B)" are wrong). An empty reply crashes the official script (`response[0]`): unparsed."""
    if not response:
        return Parsed(None, "none", correct=False)
    first = response[0]
    return Parsed(first, "rule", correct=first.lower() == str(sample.answer).lower())


@PARSERS.register("vinoground_first_char")
def parse_vinoground(response: str, sample: Sample) -> Parsed:
    """get_score_all.py: `response[0][:len(GT)].lower() == GT.lower()` on a string reply ("a" right; "(A)", " A"
    wrong). An empty reply makes `response[0]` raise officially: unparsed (the scorer decides what that does)."""
    if not response:
        return Parsed(None, "none", correct=False)
    gold = str(sample.answer)
    return Parsed(response[:1], "rule", correct=response[: len(gold)].lower() == gold.lower())
