"""TOMATO's official rule-based answer parser (`pre_parser` in yale-nlp/TOMATO src/parse_result.py).

On the stripped reply, in order: a single letter among the choices (any case); the whole reply upper-cased equal
to one of "A: option" (a quirk: the option text is not upper-cased, so this fires only for options without
lower-case letters, such as numbers); the regex `^Answer is:?[\\(]?([A-Fa-f])[\\)]?$` (case-sensitive "Answer is",
no space allowed before the letter, so "Answer is: C" does not parse; letters A-F only, so a G option never does). Anything else is unparsed ("") and goes on to the LLM
parser and then a random choice (see tarsier_eval/scoring/scorers/tomato.py).
"""

from __future__ import annotations

import re

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

_ANSWER_IS = re.compile(r"^Answer is:?[\(]?([A-Fa-f])[\)]?$")


def tomato_pre_parser(response: str, all_choices: list[str], index2ans: dict[str, str]) -> str:
    """The letter the official regex stage finds, or "" (the official "not parsed")."""
    response = response.strip()
    full_choices = [f"{k}: {v}" for k, v in index2ans.items()]
    match = _ANSWER_IS.match(response)
    if len(response) == 1 and response.upper() in all_choices:
        return response.upper()
    if response.upper() in full_choices:
        return response[0].upper()
    if match:
        return match.group(1).upper()
    return ""


@PARSERS.register("tomato_regex")
def parse_tomato(response: str, sample: Sample) -> Parsed:
    letter = tomato_pre_parser(response or "", sample.meta["all_choices"], sample.meta["index2ans"])
    # the official check is `parsed in all_choices`: an "Answer is F" for a 4-option question is not parsed
    return Parsed(letter, "rule") if letter in sample.meta["all_choices"] else Parsed(None, "none")
