"""TemporalBench loaders: QA (`temporalbench_short_qa.json` and `temporalbench_long_qa.json` from HF
microsoft/TemporalBench) and captioning (`temporalbench_short_caption.json`, task temporalbench_caption).

Each record is one binary caption choice; records sharing `video_name` form one multiple-binary group. The
question text already holds the options and the instruction and is sent verbatim, as the official eval does.
The README's example names the source dataset `source_dataset`; the released files use `dataset`: both accepted.
Loader option `splits` ("short_qa+long_qa" by default, or one of them): which QA files are read; the split is in
every sample's meta. Short-QA samples are in the subset of their category, long-QA samples (no category) in
subset "long_qa".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tarsier_eval.data.files import AnnotationFiles, find_annotation
from tarsier_eval.data.records import Item, ListLoader, Loader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import ConfigError, UsageError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import AnnotationFile, TaskSpec

_OPTION = re.compile(r"^([A-Z])\. ?(.*)$")
SPLITS = ("short_qa", "long_qa")


def _options(question: str) -> list[str]:
    return [m.group(2).strip() for line in question.split("\n") if (m := _OPTION.match(line))]


def parse_splits(value: Any) -> tuple[str, ...]:
    """`"short_qa+long_qa"`, `"long_qa"` or a list of split names -> the splits, in the order given."""
    names = value if isinstance(value, list) else str(value).replace(",", "+").split("+")
    splits = tuple(dict.fromkeys(str(n).strip() for n in names if str(n).strip()))
    if not splits or set(splits) - set(SPLITS):
        raise ConfigError(f"temporalbench: loader option splits takes {' and/or '.join(SPLITS)}, got {value!r}")
    return splits


def split_file(spec: TaskSpec, split: str) -> AnnotationFile:
    """The task YAML's annotation file of `split` (its name holds `_<split>`)."""
    for ann in spec.annotations:
        if f"_{split}" in ann.name:
            return ann
    raise ConfigError(f"{spec.path}: no annotation file for TemporalBench split {split}")


@LOADERS.register("temporalbench_qa")
class TemporalBench(Loader):
    def __init__(self, spec: TaskSpec, splits: Any = "short_qa+long_qa"):
        super().__init__(spec)
        self.splits = parse_splits(splits)

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for split in self.splits:
            ann = split_file(self.spec, split)
            try:
                find_annotation(files.root, ann, self.spec.name)
            except UsageError as exc:
                raise UsageError(f"{exc}. The {split} file is read because loader option splits="
                                 f"{'+'.join(self.splits)}; pass --loader-options splits=... to read only the "
                                 "splits you have (the paper's Binary Accuracy needs short_qa and long_qa)") from None  # fmt: skip
            for item in files.list_items(ann):
                yield Item(item.file, item.pointer, item.value, {"split": split})

    def records(self, item: Item) -> Iterator[Record]:
        record, split = item.value, item.context["split"]
        question = str(record["question"])
        gt = str(record["GT"]).strip()
        video = str(record["video_name"])
        dataset = str(record.get("dataset", record.get("source_dataset", "")))
        category = str(record.get("category") or "")
        options = _options(question)
        if len(gt) != 1 or not options:
            raise RecordError(f"GT {gt!r} is not a letter or the question has no options")
        meta = {"video_name": video, "dataset": dataset, "category": category, "split": split}
        subset = (category or dataset) if split == "short_qa" else split
        yield Record(str(record["idx"]), subset, Media(video), gt, item.pointer, question, options,
                     use_prefix=False, meta=meta)  # fmt: skip


@LOADERS.register("temporalbench_caption")
class TemporalBenchCaption(ListLoader):
    """`temporalbench_short_caption.json`: the same fields as the QA files, with GT the reference caption; the
    `question` (the captioning instruction) is sent verbatim. Subset: the source dataset."""

    def records(self, item: Item) -> Iterator[Record]:
        record = item.value
        caption = record["GT"]
        if not isinstance(caption, str) or not caption.strip():
            raise RecordError("GT must be the reference caption (a non-empty string)")
        dataset = str(record.get("dataset", record.get("source_dataset", "")))
        meta = {"video_name": str(record["video_name"]), "dataset": dataset}
        yield Record(str(record["idx"]), dataset, Media(str(record["video_name"])), caption, item.pointer,
                     str(record["question"]), use_prefix=False, meta=meta)  # fmt: skip
