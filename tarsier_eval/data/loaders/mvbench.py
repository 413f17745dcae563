"""Loader for MVBench's official annotations: `json/<task>.json`, a list of
`{"video", "question", "candidates", "answer" (a candidate's text), ["start", "end"]}` per task.

The task table (json file, video folder, media kind, whether [start, end] bounds are used) comes from the task YAML
(`loader.options.tasks`), copied from `data_list` in OpenGVLab/Ask-Anything `video_chat2/mvbench.ipynb`.

`duplicate_gold`: when the answer text appears more than once among the candidates, the gold letter is the `last`
equal candidate (default: the notebook's `qa_template` loop has no `break`) or the `first` (lmms-eval).

`clips`: `official` (default) reads the raw source videos under `video/<prefix>` and passes the official start/end
bounds; `precut` reads lmms-eval's pre-cut segments (HF revision "video", `precut_prefix` per task, whose own json
files name the cut clip) with no bounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import AnnotationFiles
from tarsier_eval.data.options import check_duplicate_gold, equal_candidate, option_label
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec

CLIP_MODES = ("official", "precut")


def _bound(record: dict[str, Any]) -> tuple[float, float]:
    start, end = float(record["start"]), float(record["end"])
    if end < start:
        raise ValueError(f"end {end} before start {start}")
    return start, end


def _media(info: dict[str, Any], record: dict[str, Any], clips: str) -> Media:
    video = str(record["video"])
    if clips == "precut":
        return Media(f"{info['precut_prefix'].rstrip('/')}/{video}", "video")
    kind = "frames" if info.get("kind") == "frame" else "video"
    start, end = _bound(record) if info.get("bound") else (None, None)
    return Media(f"{info['prefix'].rstrip('/')}/{video}", kind, start, end)


def _meta(question: str, info: dict[str, Any], clips: str) -> dict[str, Any]:
    """Frame folders (Episodic Reasoning) are read at the official 3 fps with 1-based `%05d.jpg` names."""
    if clips == "official" and info.get("kind") == "frame":
        return {"question": question, "frame_fps": info.get("frame_fps", 3), "first_frame_index": 1}
    return {"question": question}


@LOADERS.register("mvbench_json")
class MVBench(Loader):
    """Every question of the 20 task files; `tasks` maps a task name to {json, prefix, precut_prefix, kind, bound}."""

    def __init__(
        self, spec: TaskSpec, tasks: dict[str, dict[str, Any]], clips: str = "official", duplicate_gold: str = "last"
    ):
        super().__init__(spec)
        if clips not in CLIP_MODES:
            raise ConfigError(f"task {spec.name}: loader option clips must be one of {CLIP_MODES}, got {clips!r}")
        self.by_file = {info["json"]: (name, info) for name, info in tasks.items()}
        self.clips = clips
        self.duplicate_gold = check_duplicate_gold(duplicate_gold, spec.name)

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for ann in self.spec.annotations:
            if ann.name not in self.by_file:
                raise ConfigError(f"task {self.spec.name}: annotation {ann.name} has no entry in loader.options.tasks")
            task, info = self.by_file[ann.name]
            for item in files.list_items(ann):
                item.context = {"task": task, "info": info, "index": item.pointer.lstrip("/")}
                yield item

    def records(self, item: Item) -> Iterator[Record]:
        record, info = item.value, item.context["info"]
        question = str(record["question"])
        candidates = [str(c) for c in record["candidates"]]
        answer_text = str(record["answer"])
        if len(candidates) < 2:
            raise ValueError("expected at least two candidates")
        if answer_text not in candidates:
            # the notebook would write the gold as "(@) ..." and score it wrong for every letter
            raise ValueError(f"answer {answer_text!r} is not one of the candidates")
        yield Record(
            f"{Path(item.file).stem}/{item.context['index']}", item.context["task"], _media(info, record, self.clips),
            option_label(equal_candidate(candidates, answer_text, self.duplicate_gold)), item.pointer, question, candidates,
            meta=_meta(question, info, self.clips),
        )  # fmt: skip
