"""Loader for annotations in the Tarsier "messages" JSONL format (bytedance/tarsier data/annotations/*.jsonl).

Used by TVBench (the Tarsier team's conversion of FunAILab/TVBench). A record's user text is
"Question: <q>\n(A) <c0>\n(B) <c1>..." and the gold letter sits in the assistant turn's `reference`.

`duplicate_gold`: `reference` (default) keeps that letter; `first` / `last` re-letter the gold by its text among the
options when the text repeats (the Tarsier team's TVBench conversion letters the first occurrence, the official
TVBench notebook grades against the last).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tarsier_eval.data.options import check_duplicate_gold, equal_candidate, option_label
from tarsier_eval.data.records import Item, ListLoader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec

_OPTION = re.compile(r"^\(([A-Z])\) ?(.*)$")


def split_question(text: str) -> tuple[str, list[str]]:
    """Split "Question: q\n(A) x\n(B) y" into ("q", ["x", "y"]); question lines may span several lines."""
    question_lines: list[str] = []
    options: list[str] = []
    for line in text.split("\n"):
        match = _OPTION.match(line)
        if match and (options or question_lines):
            if match.group(1) != chr(ord("A") + len(options)):
                raise ValueError(f"option ({match.group(1)}) out of order")
            options.append(match.group(2))
        elif options:
            raise ValueError("text after the options")
        else:
            question_lines.append(line)
    question = "\n".join(question_lines).strip()
    question = question.removeprefix("Question:").strip()
    if not question or len(options) < 2:
        raise ValueError("expected a question and at least two options")
    return question, options


def _parts(record: dict[str, Any]) -> tuple[str, str]:
    user, assistant = record["messages"][0], record["messages"][1]
    text = next(c["text"] for c in user["content"] if c.get("type") == "text")
    reference = next(c["reference"] for c in assistant["content"] if c.get("reference"))
    return text, reference


@LOADERS.register("tarsier_messages_mcq")
class TarsierMessagesMCQ(ListLoader):
    def __init__(self, spec: TaskSpec, duplicate_gold: str = "reference"):
        super().__init__(spec)
        self.duplicate_gold = (
            "reference" if duplicate_gold == "reference" else check_duplicate_gold(duplicate_gold, spec.name)
        )

    def records(self, item: Item) -> Iterator[Record]:
        text, reference = _parts(item.value)
        question, options = split_question(text)
        if reference not in [option_label(i) for i in range(len(options))]:
            raise RecordError(f"gold letter {reference!r} is not an option")
        if self.duplicate_gold != "reference":
            gold_text = options[ord(reference) - ord("A")]
            reference = option_label(equal_candidate(options, gold_text, self.duplicate_gold))
        subset = item.value["dataset"].split("/", 1)[1]
        yield Record(str(item.value["idx"]), subset, Media(str(item.value["vid"])), reference, item.pointer,
                     question, options, meta={"question": question})  # fmt: skip
