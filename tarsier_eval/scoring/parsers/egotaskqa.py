"""EgoTaskQA answers: exact match on the open-answer form, letter extraction on the MCQ form (lmms-eval)."""

from __future__ import annotations

import re

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

_LETTER = re.compile(r"[\(\ ]*([A-E])[\)\ ]*")
NORMALIZE = ("official", "strict")


def normalize_answer(text: str, mode: str = "official") -> str:
    """`official`: stripped, lower-cased, one trailing period dropped; `strict`: stripped only."""
    text = text.strip()
    if mode == "strict":
        return text
    text = text.lower()
    return text[:-1].rstrip() if text.endswith(".") else text


def mcq_letter(response: str, options: dict[str, str]) -> str:
    """lmms-eval egotaskqa extraction: a letter, else option text found in the reply, else ""."""
    text = response.replace("answer", "").replace("Answer", "")
    found = _LETTER.search(text)
    if found and found.group(1) in options:
        return found.group(1)
    for letter, option in options.items():
        if option.lower() in text.lower():
            return letter
    return ""


@PARSERS.register("egotaskqa")
def parse_egotaskqa(response: str, sample: Sample, *, normalize: str = "official") -> Parsed:
    """Open answers compared after `normalize`; MCQ answers by their letter. An empty reading is unparsed."""
    if normalize not in NORMALIZE:
        raise ConfigError(f"egotaskqa parser: normalize must be one of {NORMALIZE}, got {normalize!r}")
    if sample.meta["form"] == "mcq":
        letter = mcq_letter(response, sample.meta["option_map"])
        return Parsed(letter or None, "rule" if letter else "none", letter == sample.answer)
    pred = normalize_answer(response, normalize)
    return Parsed(pred or None, "rule" if pred else "none", pred == normalize_answer(sample.answer, normalize))
