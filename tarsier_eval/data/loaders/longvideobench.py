"""LongVideoBench loader for `lvb_val.json` (HF longvideobench/LongVideoBench; a list of question records).

The official dataloader's text: "Question: <question>", the candidates as "A. text" lines, then the post prompt
(YAML `prompt.template`). The "_v" setting (frames only, no interleaved subtitles) is what this task reproduces.
Records re-exported with letter-prefixed `options` instead of `candidates` are accepted (prefix removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tarsier_eval.data.options import option_label
from tarsier_eval.data.records import Item, ListLoader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS

_LETTER_PREFIX = re.compile(r"^[A-E]\.\s?")


@LOADERS.register("longvideobench")
class LongVideoBench(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        record = item.value
        if "candidates" in record:
            options = [str(c) for c in record["candidates"]]
        else:
            options = [_LETTER_PREFIX.sub("", str(o), count=1) for o in record["options"]]
        choice = int(record["correct_choice"])
        meta = {
            "duration_group": int(record["duration_group"]),
            "question_category": str(record["question_category"]),
            "level": record.get("level"),
            "duration": record.get("duration"),
        }
        if not 0 <= choice < len(options) or not 2 <= len(options) <= 5:
            raise RecordError(f"correct_choice {choice} outside {len(options)} candidates")
        yield Record(str(record["id"]), str(meta["duration_group"]), Media(Path(record["video_path"]).name),
                     option_label(choice), item.pointer, str(record["question"]), options, meta=meta)  # fmt: skip
