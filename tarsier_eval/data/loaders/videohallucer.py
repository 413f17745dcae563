"""VideoHallucer loader: the five scored categories, two yes/no questions (basic, hallucinated) per pair.

Files (patrick-tssn/VideoHallucer `videohallucer_datasets/<category>/<category>.json`), each a list of
`{"basic": {video, question, answer}, "hallucination": {...}, "type"}`. Sample ids are
`videohallucer/<category>/<pair index>/<basic|hallucination>` and pointers `/<pair index>/<basic|hallucination>`.
Each question is asked on its own video (`<category>/videos/<video>`): semantic_detail pairs use two videos.

temporal.json changed from 200 to 176 pairs on 2025-10-24 (upstream commit "remove duplicate data"): loader option
`temporal: latest` (default) reads the task's temporal annotation, `temporal: pre2025-10` reads the 200-pair copy
(`temporal/temporal_pre2025-10_200pairs.json` or `full.temporal_pre2025-10_200pairs.json`). The version found is
written to every temporal sample's `meta["temporal_version"]` and surfaces in `TaskScores.extra`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import AnnotationFile, TaskSpec

ROLES = ("basic", "hallucination")
PRE_2025_10 = AnnotationFile("temporal/temporal_pre2025-10_200pairs.json", ("full.temporal_pre2025-10_200pairs.json",))


def temporal_version(n_pairs: int) -> str:
    return {176: "2025-10 (176 pairs)", 200: "pre-2025-10 (200 pairs)"}.get(n_pairs, f"unknown ({n_pairs} pairs)")


def category_of(ann: AnnotationFile) -> str:
    """ "object_relation/object_relation.json" -> "object_relation"."""
    return Path(ann.name).stem


@LOADERS.register("videohallucer")
class VideoHallucer(Loader):
    def __init__(self, spec: TaskSpec, temporal: str = "latest"):
        super().__init__(spec)
        if temporal not in ("latest", "pre2025-10"):
            raise ConfigError(f"videohallucer: loader option temporal must be latest or pre2025-10, got {temporal!r}")
        self.temporal = temporal

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for ann in self.spec.annotations:
            category = category_of(ann)
            chosen = PRE_2025_10 if category == "temporal" and self.temporal != "latest" else ann
            rel, pairs = files.json(chosen)
            extra = {"temporal_version": temporal_version(len(pairs))} if category == "temporal" else {}
            for index, pair in enumerate(pairs):
                yield Item(rel, pointer(index), pair, {"category": category, "index": index, "extra": extra})

    def records(self, item: Item) -> Iterator[Record]:
        pair, category, index = item.value, item.context["category"], item.context["index"]
        parts = [(role, str(pair[role]["video"]), str(pair[role]["question"]), str(pair[role]["answer"]).lower())
                 for role in ROLES]  # fmt: skip
        for role, video, question, answer in parts:
            media = f"{category}/{self.spec.media_dir}/{video}" if self.spec.media_dir else f"{category}/{video}"
            meta = {"pair": f"{category}/{index}", "role": role, "type": pair.get("type"), **item.context["extra"]}
            yield Record(f"{category}/{index}/{role}", category, Media(media), answer, pointer(index, role), question,
                         use_prefix=False, media_in_task_root=True, meta=meta)  # fmt: skip
