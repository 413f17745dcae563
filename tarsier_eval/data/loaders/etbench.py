"""Loader for E.T. Bench's merged annotation file (annotations/etbench_txt_v1.0.json, docs/BENCHMARK.md schema).

A JSON list of {version, idx, task, source, video, duration, src?, tgt?, p?, o?, g?, q}. The prompt is `q` verbatim
(it already holds the answer-format instructions); RAR/ECA/RVQ get the reference inference's assistant prefix
"Best Option: (" (prompt.mcq_response_prefix). Every record is checked against what its task's scorer reads:
malformed ones become LoadIssues naming the file and `/<index>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tarsier_eval.data.records import Item, ListLoader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec

TASKS = ("rar", "eca", "rvq", "tvg", "epm", "tal", "evs", "vhd", "dvc", "slc", "tem", "gvq")
MCQ = ("rar", "eca", "rvq", "gvq")


def _is_span(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
    )


def _spans(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(_is_span(s) for s in value)


def check_record(record: dict[str, Any]) -> str | None:
    """Why the record cannot be scored by its task's official rule, or None when it can."""
    task = record.get("task")
    if task not in TASKS:
        return f"unknown task {task!r}"
    for key in ("idx", "source", "video", "q"):
        if key not in record:
            return f"missing '{key}'"
    tgt = record.get("tgt")
    if task in ("tvg", "epm", "gvq") and not _is_span(tgt):
        return "tgt must be one [start, end] span"
    if task in ("tal", "evs", "tem", "dvc", "slc") and not _spans(tgt):
        return "tgt must be a non-empty list of [start, end] spans"
    if task == "vhd" and not (_spans(tgt) or (isinstance(tgt, list) and tgt and all(_spans(a) for a in tgt))):
        return "tgt must be a list of spans or a list of span lists (one per annotator)"
    if task in ("dvc", "slc"):
        captions = record.get("g")
        if not (isinstance(captions, list) and len(captions) == len(tgt) and all(isinstance(c, str) for c in captions)):
            return "g must hold one caption string per tgt span"
    if task in MCQ:
        options, answer = record.get("o"), record.get("p")
        if not (isinstance(options, list) and len(options) in (4, 5)):
            return "o must hold 4 or 5 options (the official scorer supports no other count)"
        if not (isinstance(answer, int) and 0 <= answer < len(options)):
            return f"p={answer!r} is not an option index"
    return None


@LOADERS.register("etbench")
class ETBench(ListLoader):
    """All records, or those of `tasks` (loader option, e.g. [dvc, slc]); the prompt is the record's `q`."""

    def __init__(self, spec: TaskSpec, tasks: list[str] | None = None):
        super().__init__(spec)
        self.tasks = tasks

    def records(self, item: Item) -> Iterator[Record]:
        record = item.value
        problem = check_record(record) if isinstance(record, dict) else "not a JSON object"
        if problem is not None:
            raise RecordError(problem)
        task = record["task"]
        if self.tasks is not None and task not in self.tasks:
            return
        meta = {k: record[k] for k in ("task", "source", "idx", "video", "duration", "src", "tgt", "p", "o", "g")
                if k in record}  # fmt: skip
        yield Record(f"{task}/{record['source']}/{record['idx']}", task, Media(str(record["video"])),
                     record["p"] if task in MCQ else record.get("tgt"), item.pointer,
                     options=[str(o) for o in record["o"]] if "o" in record else None, prompt=record["q"],
                     use_prefix=task in ("rar", "eca", "rvq"), meta=meta)  # fmt: skip
