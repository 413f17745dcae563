"""EgoTaskQA answers: exact match on the open-answer form, letter extraction on the MCQ form (lmms-eval).

Open answers, option `normalize`:
- `vocabulary` (official): the reply is encoded as the official preprocessing encodes a test answer,
  `answer_set.index(p.lower()) if p in answer_set else -1`, with the train split's answer vocabulary (loader option
  answer_vocabulary): membership of the RAW reply, so case, surrounding whitespace or a trailing "." make it wrong,
  and a reference outside the vocabulary (label `<UNK1>`) is never matched. A reply "<UNK0>"/"<UNK1>" makes the
  official encoder raise (ValueError); here it is wrong, with a detail saying so.
- `lenient`: both sides stripped, lower-cased, one trailing "." dropped; no vocabulary.
- `strict`: both sides stripped, compared as they are.
"""

from __future__ import annotations

import re
from typing import Any

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

_LETTER = re.compile(r"[\(\ ]*([A-E])[\)\ ]*")
NORMALIZE = ("vocabulary", "lenient", "strict")
SPECIAL = ("<UNK0>", "<UNK1>")


def normalize_answer(text: str, mode: str = "lenient") -> str:
    """`lenient`: stripped, lower-cased, one trailing period dropped; `strict`: stripped only."""
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
        if option.strip().strip(".").lower() in text.lower():  # lmms-eval strips "." from the option text
            return letter
    return ""


def vocabulary_match(response: str, answer: str, vocab: dict[str, int]) -> Parsed:
    """The official encoder on both sides: correct iff the raw reply and the raw reference are both entries of the
    answer vocabulary and name the same entry; a reply outside it is unparsed (index -1, wrong)."""
    detail: dict[str, Any] = {} if answer in vocab else {"reference_outside_vocabulary": True}
    if response in SPECIAL:
        detail["official_encoder_raises"] = f"ValueError: {response.lower()!r} is not in the answer set"
        return Parsed(None, "none", False, detail)
    if response not in vocab:
        return Parsed(None, "none", False, detail)
    return Parsed(response, "rule", answer in vocab and answer not in SPECIAL and response == answer, detail)


@PARSERS.register("egotaskqa")
def parse_egotaskqa(response: str, sample: Sample, *, normalize: str = "vocabulary") -> Parsed:
    """Open answers by `normalize` (module docstring); MCQ answers by their letter. An empty reading is unparsed."""
    if normalize not in NORMALIZE:
        raise ConfigError(f"egotaskqa parser: normalize must be one of {NORMALIZE}, got {normalize!r}")
    if sample.meta["form"] == "mcq":
        letter = mcq_letter(response, sample.meta["option_map"])
        return Parsed(letter or None, "rule" if letter else "none", letter == sample.answer)
    if normalize == "vocabulary":
        vocab = sample.meta.get("answer_vocabulary")
        if vocab is None:
            raise ConfigError("egotaskqa: normalize=vocabulary (official) needs the train answer vocabulary (loader "
                              "option answer_vocabulary); use --protocol lenient without it")  # fmt: skip
        return vocabulary_match(response, sample.answer, vocab)
    pred = normalize_answer(response, normalize)
    return Parsed(pred or None, "rule" if pred else "none", pred == normalize_answer(sample.answer, normalize))
