"""Loader for Perception Test multiple-choice video QA (google-deepmind/perception_test, `mc_question_valid.json`):
{video_id: {"metadata": {...}, "mc_question": [{id, question, options (3), answer_id, area, reasoning, tag}]}}.

Videos: `videos/<video_id>.mp4`. With loader option `cut_frame_mapping` (e.g. `cut_frame_mapping_valid.json`,
{video_id: frame}), cup-game videos are cut at that frame (end = frame / frame_rate) to mimic the test conditions,
as the README suggests; off by default (lmms-eval does not cut).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.options import option_label
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import AnnotationFile, TaskSpec


def _end(video: dict[str, Any], vid: str, cuts: dict[str, Any]) -> float | None:
    if vid not in cuts:
        return None
    return float(cuts[vid]) / float(video["metadata"]["frame_rate"])


@LOADERS.register("perceptiontest_mc")
class PerceptionTest(Loader):
    def __init__(self, spec: TaskSpec, cut_frame_mapping: str | None = None):
        super().__init__(spec)
        self.cut_frame_mapping = cut_frame_mapping

    def _cuts(self, files: AnnotationFiles) -> dict[str, Any]:
        if not self.cut_frame_mapping:
            return {}
        if not (files.root / self.cut_frame_mapping).is_file():
            raise UsageError(
                f"task {self.spec.name}: cut frame mapping {files.root / self.cut_frame_mapping} not found"
            )
        return files.json(AnnotationFile(self.cut_frame_mapping))[1]

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        cuts = self._cuts(files)
        for ann in self.spec.annotations:
            rel, videos = files.keyed(ann, "video id")
            for vid, video in videos.items():
                questions = video.get("mc_question", []) if isinstance(video, dict) else None
                if not isinstance(questions, list):
                    files.issue(rel, pointer(vid), "no mc_question list")
                    continue
                for k, q in enumerate(questions):
                    yield Item(rel, pointer(vid, "mc_question", k), q, {"vid": vid, "video": video, "cuts": cuts})

    def records(self, item: Item) -> Iterator[Record]:
        q, vid = item.value, item.context["vid"]
        end = _end(item.context["video"], vid, item.context["cuts"])
        options = [str(o) for o in q["options"]]
        answer_id = q["answer_id"]
        if not isinstance(answer_id, int) or not 0 <= answer_id < len(options):
            raise ValueError(f"answer_id {answer_id!r} out of range")
        area = str(q["area"]).capitalize()  # the README writes "Memory", the HF mirror "memory"
        meta = {"area": area, "reasoning": str(q["reasoning"]).capitalize(), "tags": [str(t) for t in q.get("tag", [])]}
        media = Media(f"{vid}.mp4", end=end, start=0.0 if end is not None else None)
        yield Record(f"{vid}/{q['id']}", area, media, option_label(answer_id), item.pointer, str(q["question"]),
                     options, use_prefix=False, meta=meta)  # fmt: skip
