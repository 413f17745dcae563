"""Yes/no replies, as VideoHallucer's and EventHallusion's official scripts read them."""

from __future__ import annotations

import re

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed


def hit(reply: str, answer: str, match: str = "search") -> bool:
    """VideoHallucer: the gold word as a whole word anywhere (`search`) or opening the reply (`prefix`)."""
    if match == "prefix":
        return re.match(rf"^{re.escape(answer)}\b", reply, re.IGNORECASE) is not None
    return re.search(rf"\b({re.escape(answer)})\b", reply, re.IGNORECASE) is not None


def _videohallucer(response: str, sample: Sample, match: str) -> Parsed:
    found = [w for w in ("yes", "no") if hit(response, w, match)]
    return Parsed("/".join(found) or None, "rule" if found else "none", correct=hit(response, sample.answer, match))


@PARSERS.register("videohallucer_search")
def parse_videohallucer_search(response: str, sample: Sample) -> Parsed:
    """evaluation_utils.py at HEAD: `re.search(r"\\b(yes)\\b", reply, re.I)`, so "No, yes" hits both words."""
    return _videohallucer(response, sample, "search")


@PARSERS.register("videohallucer_prefix")
def parse_videohallucer_prefix(response: str, sample: Sample) -> Parsed:
    """The older upstream rule: the gold word must open the reply (`re.match(r"^yes\\b")`)."""
    return _videohallucer(response, sample, "prefix")


def eventhallusion_answer(reply: str) -> str | None:
    """eval.py `extract_pred`: the lower-cased, NOT stripped reply starting with "yes" / "no"."""
    lowered = reply.lower()
    if lowered.startswith("yes"):
        return "Yes."
    if lowered.startswith("no"):
        return "No."
    return None


@PARSERS.register("eventhallusion_yes_no")
def parse_eventhallusion(response: str, sample: Sample) -> Parsed:
    """ "Not sure" and "Nope" read as "No." and " Yes" (leading space) is unmatched, as officially."""
    answer = eventhallusion_answer(response)
    return Parsed(answer, "rule" if answer else "none")
