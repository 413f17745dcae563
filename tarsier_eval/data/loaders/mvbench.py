"""Loader for MVBench's official annotations: `json/<task>.json`, a list of
`{"video", "question", "candidates", "answer" (a candidate's text), ["start", "end"]}` per task.

The task table (json file, video folder, media kind, whether [start, end] bounds are used) comes from the task YAML
(`loader.options.tasks`), copied from `data_list` in OpenGVLab/Ask-Anything `video_chat2/mvbench.ipynb`.

`clips`: `official` (default) reads the raw source videos under `video/<prefix>` and passes the official start/end
bounds; `precut` reads lmms-eval's pre-cut segments (HF revision "video", `precut_prefix` per task, whose own json
files name the cut clip) with no bounds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tarsier_eval.data.files import find_annotation, pointer, read_json, sha256_file, task_data_root
from tarsier_eval.data.options import option_label
from tarsier_eval.data.prompting import render_mcq_prompt
from tarsier_eval.data.sample import LoadIssue, LoadResult, Media, Sample, SourceRef
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec

CLIP_MODES = ("official", "precut")


def _bound(record: dict[str, Any]) -> tuple[float, float]:
    start, end = float(record["start"]), float(record["end"])
    if end < start:
        raise ValueError(f"end {end} before start {start}")
    return start, end


def _media(spec: TaskSpec, info: dict[str, Any], record: dict[str, Any], clips: str) -> Media:
    video = str(record["video"])
    base = f"{spec.media_dir}/" if spec.media_dir else ""
    if clips == "precut":
        kind = "video"
        return Media(f"{base}{info['precut_prefix'].rstrip('/')}/{video}", kind)
    kind = "frames" if info.get("kind") == "frame" else "video"
    start, end = _bound(record) if info.get("bound") else (None, None)
    return Media(f"{base}{info['prefix'].rstrip('/')}/{video}", kind, start, end)


def _meta(question: str, info: dict[str, Any], clips: str) -> dict[str, Any]:
    """Frame folders (Episodic Reasoning) are read at the official 3 fps with 1-based `%05d.jpg` names."""
    if clips == "official" and info.get("kind") == "frame":
        return {"question": question, "frame_fps": info.get("frame_fps", 3), "first_frame_index": 1}
    return {"question": question}


def _sample(spec: TaskSpec, task: str, info: dict[str, Any], record: dict[str, Any], rel: str, index: int, clips: str):
    question = str(record["question"])
    candidates = [str(c) for c in record["candidates"]]
    answer_text = str(record["answer"])
    if len(candidates) < 2:
        raise ValueError("expected at least two candidates")
    if answer_text not in candidates:
        # the notebook would write the gold as "(@) ..." and score it wrong for every letter
        raise ValueError(f"answer {answer_text!r} is not one of the candidates")
    letter = option_label(candidates.index(answer_text))
    stem = Path(rel).stem
    return Sample(
        sample_id=f"{spec.name}/{stem}/{index}",
        task=spec.name,
        subset=task,
        media=_media(spec, info, record, clips),
        prompt=render_mcq_prompt(spec.prompt, question, candidates),
        answer=letter,
        source=SourceRef(rel, pointer(index)),
        options=candidates,
        system=spec.prompt.get("system"),
        response_prefix=spec.prompt.get("response_prefix"),
        meta=_meta(question, info, clips),
    )


@LOADERS.register("mvbench_json")
def load_mvbench(
    spec: TaskSpec, data_root: Path, tasks: dict[str, dict[str, Any]], clips: str = "official"
) -> LoadResult:
    """Every question of the 20 task files; `tasks` maps a task name to {json, prefix, precut_prefix, kind, bound}."""
    if clips not in CLIP_MODES:
        raise ConfigError(f"task {spec.name}: loader option clips must be one of {CLIP_MODES}, got {clips!r}")
    root = task_data_root(spec, data_root)
    by_file = {info["json"]: (name, info) for name, info in tasks.items()}
    result = LoadResult(samples=[])
    for ann in spec.annotations:
        if ann.name not in by_file:
            raise ConfigError(f"task {spec.name}: annotation {ann.name} has no entry in loader.options.tasks")
        task, info = by_file[ann.name]
        path = find_annotation(root, ann, spec.name)
        rel = path.relative_to(root).as_posix()
        result.files[rel] = sha256_file(path)
        records = read_json(path, rel)
        if not isinstance(records, list):
            result.issues.append(LoadIssue(rel, "", "expected a JSON list of questions"))
            continue
        for index, record in enumerate(records):
            try:
                result.samples.append(_sample(spec, task, info, record, rel, index, clips))
            except (KeyError, TypeError, ValueError) as exc:
                result.issues.append(LoadIssue(rel, pointer(index), f"malformed record: {exc!r}"))
    return result
