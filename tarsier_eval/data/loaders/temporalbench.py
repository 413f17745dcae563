"""TemporalBench QA loader (`temporalbench_short_qa.json` / `_long_qa.json` from HF microsoft/TemporalBench).

Each record is one binary caption choice; records sharing `video_name` form one multiple-binary group. The
question text already holds the options and the instruction and is sent verbatim, as the official eval does.
The README's example names the source dataset `source_dataset`; the released files use `dataset`: both accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tarsier_eval.data.records import Item, ListLoader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS

_OPTION = re.compile(r"^([A-Z])\. ?(.*)$")


def _options(question: str) -> list[str]:
    return [m.group(2).strip() for line in question.split("\n") if (m := _OPTION.match(line))]


@LOADERS.register("temporalbench_qa")
class TemporalBench(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        record = item.value
        question = str(record["question"])
        gt = str(record["GT"]).strip()
        video = str(record["video_name"])
        dataset = str(record.get("dataset", record.get("source_dataset", "")))
        category = str(record.get("category") or "")
        options = _options(question)
        if len(gt) != 1 or not options:
            raise RecordError(f"GT {gt!r} is not a letter or the question has no options")
        meta = {"video_name": video, "dataset": dataset, "category": category}
        yield Record(str(record["idx"]), category or dataset, Media(video), gt, item.pointer, question, options,
                     use_prefix=False, meta=meta)  # fmt: skip
