"""Loader for TOMATO (yale-nlp/TOMATO `data/<reasoning_type>.json`): dicts keyed by a per-file id, each with
`question`, `options` (texts), `answer` (0-based index), `demonstration_type` and the video `key`.

The prompt is the official `construct_prompt` text (src/generate_lib/construct_prompt.py), in the task YAML with
`{num_frames}`, `{question}` and `{index2ans}` (the Python repr of {"A": option, ...}, as the official f-string
writes it). Videos: `videos/<demonstration_type>/<key>.mp4`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.options import option_label
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS


def reasoning_type(file_name: str) -> str:
    """`data/shape&trend.json` or `full.shape&trend.json` -> `shape&trend`."""
    return Path(file_name).stem.removeprefix("full.")


@LOADERS.register("tomato_json")
class Tomato(Loader):
    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for ann in self.spec.annotations:
            rel, records = files.keyed(ann, "question id")
            for key, record in records.items():
                yield Item(rel, pointer(key), record, {"rtype": reasoning_type(ann.name), "key": str(key)})

    def records(self, item: Item) -> Iterator[Record]:
        record, rtype = item.value, item.context["rtype"]
        options = [str(o) for o in record["options"]]
        answer = record["answer"]
        if not isinstance(answer, int) or not 0 <= answer < len(options):
            raise ValueError(f"answer index {answer!r} out of range for {len(options)} options")
        all_choices = [option_label(i) for i in range(len(options))]
        index2ans = dict(zip(all_choices, options, strict=True))
        demo = str(record["demonstration_type"])
        fields = {"num_frames": self.spec.video.num_frames, "index2ans": index2ans}
        meta = {"demonstration_type": demo, "all_choices": all_choices, "index2ans": index2ans}
        yield Record(f"{rtype}/{item.context['key']}", rtype, Media(f"{demo}/{record['key']}.mp4"), all_choices[answer],
                     item.pointer, str(record["question"]), options, fields=fields, use_prefix=False, meta=meta)  # fmt: skip
