"""Loader for Perception Test multiple-choice video QA (google-deepmind/perception_test, `mc_question_valid.json`):
{video_id: {"metadata": {...}, "mc_question": [{id, question, options (3), answer_id, area, reasoning, tag}]}}.

Videos: `videos/<video_id>.mp4`. With loader option `cut_frame_mapping` (e.g. `cut_frame_mapping_valid.json`,
{video_id: frame}), cup-game videos are cut at that frame (end = frame / frame_rate) to mimic the test conditions,
as the README suggests; off by default (lmms-eval does not cut).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tarsier_eval.data.files import find_annotation, pointer, read_json, sha256_file, task_data_root
from tarsier_eval.data.options import option_label
from tarsier_eval.data.prompting import render_mcq_prompt
from tarsier_eval.data.sample import LoadIssue, LoadResult, Media, Sample, SourceRef
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec


def _end(video: dict[str, Any], vid: str, cuts: dict[str, Any]) -> float | None:
    if vid not in cuts:
        return None
    return float(cuts[vid]) / float(video["metadata"]["frame_rate"])


def _sample(spec: TaskSpec, vid: str, k: int, q: dict[str, Any], end: float | None, rel: str) -> Sample:
    options = [str(o) for o in q["options"]]
    answer_id = q["answer_id"]
    if not isinstance(answer_id, int) or not 0 <= answer_id < len(options):
        raise ValueError(f"answer_id {answer_id!r} out of range")
    base = f"{spec.media_dir}/" if spec.media_dir else ""
    area = str(q["area"]).capitalize()  # the README writes "Memory", the HF mirror "memory"
    return Sample(
        sample_id=f"{spec.name}/{vid}/{q['id']}",
        task=spec.name,
        subset=area,
        media=Media(f"{base}{vid}.mp4", end=end, start=0.0 if end is not None else None),
        prompt=render_mcq_prompt(spec.prompt, str(q["question"]), options),
        answer=option_label(answer_id),
        source=SourceRef(rel, pointer(vid, "mc_question", k)),
        options=options,
        system=spec.prompt.get("system"),
        meta={"area": area, "reasoning": str(q["reasoning"]).capitalize(), "tags": [str(t) for t in q.get("tag", [])]},
    )


@LOADERS.register("perceptiontest_mc")
def load_perceptiontest(spec: TaskSpec, data_root: Path, cut_frame_mapping: str | None = None) -> LoadResult:
    root = task_data_root(spec, data_root)
    result = LoadResult(samples=[])
    cuts: dict[str, Any] = {}
    if cut_frame_mapping:
        cut_path = root / cut_frame_mapping
        if not cut_path.is_file():
            raise UsageError(f"task {spec.name}: cut frame mapping {cut_path} not found")
        result.files[cut_frame_mapping] = sha256_file(cut_path)
        cuts = read_json(cut_path, cut_frame_mapping)
    for ann in spec.annotations:
        path = find_annotation(root, ann, spec.name)
        rel = path.relative_to(root).as_posix()
        result.files[rel] = sha256_file(path)
        videos = read_json(path, rel)
        if not isinstance(videos, dict):
            result.issues.append(LoadIssue(rel, "", "expected a JSON object keyed by video id"))
            continue
        for vid, video in videos.items():
            questions = video.get("mc_question", []) if isinstance(video, dict) else None
            if not isinstance(questions, list):
                result.issues.append(LoadIssue(rel, pointer(vid), "no mc_question list"))
                continue
            for k, q in enumerate(questions):
                try:
                    result.samples.append(_sample(spec, vid, k, q, _end(video, vid, cuts), rel))
                except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
                    result.issues.append(LoadIssue(rel, pointer(vid, "mc_question", k), f"malformed record: {exc!r}"))
    return result
