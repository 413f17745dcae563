"""Loader for plain MCQ JSONL (`{"id", "video", "subset", "question", "candidates", "answer": <option text>}`).

Used by the embedded demo task; any local MCQ set in this shape can be evaluated with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tarsier_eval.data.options import option_label
from tarsier_eval.data.records import Item, ListLoader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS


@LOADERS.register("simple_mcq")
class SimpleMCQ(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        r = item.value
        options = [str(c) for c in r["candidates"]]
        yield Record(str(r["id"]), str(r.get("subset", "all")), Media(str(r["video"])),
                     option_label(options.index(r["answer"])), item.pointer, r["question"], options)  # fmt: skip
