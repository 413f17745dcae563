"""MLVU dev multiple-choice loader: the 7 task files of JUNJIE99/MLVU `data/` (1_plotQA.json ... 7_topic_reasoning.json).

Records have no id: a sample is `mlvu/<file stem>/<list index>`. The gold letter is the position of `answer` in
`candidates`, as the official `qa_template` finds it: when the text repeats, the LAST equal candidate (its loop has no
`break`; loader option `duplicate_gold: first` takes the first); two findNeedle records (needle_4/needle_5) have an answer that
is not among the candidates: the official template then builds the gold "(@) ..." which can never be matched, so
their `answer` is "@" here (meta `gold_in_candidates: false`) and they are always wrong, as officially.
Videos: `<media_dir>/<file stem>/<video>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tarsier_eval.data.files import AnnotationFiles
from tarsier_eval.data.options import check_duplicate_gold, equal_candidate, option_label
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec


def task_of(stem: str) -> str:
    """ "1_plotQA" -> "plotQA"."""
    return stem.split("_", 1)[1] if stem[:1].isdigit() else stem


@LOADERS.register("mlvu_mcq")
class MLVU(Loader):
    def __init__(self, spec: TaskSpec, duplicate_gold: str = "last"):
        super().__init__(spec)
        self.duplicate_gold = check_duplicate_gold(duplicate_gold, spec.name)

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for ann in self.spec.annotations:
            stem = Path(ann.name).stem
            for item in files.list_items(ann):
                item.context = {"stem": stem, "index": item.pointer.lstrip("/")}
                yield item

    def records(self, item: Item) -> Iterator[Record]:
        record, stem = item.value, item.context["stem"]
        options = [str(c) for c in record["candidates"]]
        answer_text = str(record["answer"])
        found = answer_text in options
        meta = {"answer_text": answer_text, "gold_in_candidates": found, "duration": record.get("duration")}
        yield Record(f"{stem}/{item.context['index']}", task_of(stem), Media(f"{stem}/{record['video']}"),
                     option_label(equal_candidate(options, answer_text, self.duplicate_gold)) if found else "@", item.pointer,
                     str(record["question"]), options, meta=meta)  # fmt: skip
