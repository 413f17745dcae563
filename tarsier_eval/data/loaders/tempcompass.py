"""Loader for TempCompass (llyx97/TempCompass): `questions/<format>.json` as {video_id: {dim: [{question, answer}]}}
for the four formats, plus `meta_info.json` for the fine-grained aspect of each (video, dim).

The prompt is the question plus the official per-format answer prompt (run_qwen2_vl.py), from the task YAML
`prompt.templates.<format>`. A captioning sample also carries the first multi-choice question of the same video and
aspect, which the official captioning judge answers from the generated caption.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import LOADERS

FORMATS = ("multi-choice", "yes_no", "caption_matching", "captioning")


def fmt_of(name: str) -> str:
    """`questions/yes_no.json`, `full.questions_yes_no.json` -> `yes_no`; `meta_info.json` -> `meta_info`."""
    stem = Path(name).stem.removeprefix("full.").removeprefix("questions_")
    return stem


def fine_aspect(meta_info: dict[str, Any], video_id: str, dim: str) -> str:
    """The official fine-grained aspect (print_result): the meta `type`, except "order" for the order dim."""
    return "order" if dim == "order" else str(meta_info[video_id]["eval_dim"][dim]["type"])


@LOADERS.register("tempcompass_json")
class TempCompass(Loader):
    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        data = {fmt_of(ann.name): files.json(ann) for ann in self.spec.annotations}
        missing = {*FORMATS, "meta_info"} - set(data)
        if missing:
            raise ConfigError(f"task {self.spec.name}: data.annotations lacks {sorted(missing)}")
        context = {"meta_info": data["meta_info"][1], "multi-choice": data["multi-choice"][1]}
        for fmt in FORMATS:
            rel, questions = data[fmt]
            for vid, dims in questions.items():
                for dim, items in dims.items():
                    for k, entry in enumerate(items):
                        yield Item(
                            rel, pointer(vid, dim, k), entry, {**context, "fmt": fmt, "vid": vid, "dim": dim, "k": k}
                        )

    def records(self, item: Item) -> Iterator[Record]:
        ctx, entry = item.context, item.value
        fmt, vid, dim = ctx["fmt"], ctx["vid"], ctx["dim"]
        question, answer = str(entry["question"]), str(entry["answer"])
        meta: dict[str, Any] = {"format": fmt, "video_id": vid, "dim": dim, "question": question}
        meta["fine_aspect"] = fine_aspect(ctx["meta_info"], vid, dim)
        if fmt == "captioning":
            first_mc = ctx["multi-choice"][vid][dim][0]
            meta["mc_question"], meta["mc_answer"] = str(first_mc["question"]), str(first_mc["answer"])
        options = question.split("\n")[1:] if fmt in ("multi-choice", "caption_matching") else None
        yield Record(f"{fmt}/{vid}/{dim}/{ctx['k']}", fmt, Media(f"{vid}.mp4"), answer, item.pointer, question,
                     options, template=fmt, use_prefix=False, meta=meta)  # fmt: skip
