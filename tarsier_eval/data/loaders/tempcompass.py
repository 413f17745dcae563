"""Loader for TempCompass (llyx97/TempCompass): `questions/<format>.json` as {video_id: {dim: [{question, answer}]}}
for the four formats, plus `meta_info.json` for the fine-grained aspect of each (video, dim).

The prompt is the question plus the official per-format answer prompt (run_qwen2_vl.py), from the task YAML
`prompt.answer_prompt`. A captioning sample also carries the first multi-choice question of the same video and
aspect, which the official captioning judge answers from the generated caption.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tarsier_eval.data.files import json_annotations, pointer
from tarsier_eval.data.sample import LoadIssue, LoadResult, Media, Sample, SourceRef
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec

FORMATS = ("multi-choice", "yes_no", "caption_matching", "captioning")


def fmt_of(name: str) -> str:
    """`questions/yes_no.json`, `full.questions_yes_no.json` -> `yes_no`; `meta_info.json` -> `meta_info`."""
    stem = Path(name).stem.removeprefix("full.").removeprefix("questions_")
    return stem


def fine_aspect(meta_info: dict[str, Any], video_id: str, dim: str) -> str:
    """The official fine-grained aspect (print_result): the meta `type`, except "order" for the order dim."""
    return "order" if dim == "order" else str(meta_info[video_id]["eval_dim"][dim]["type"])


def _sample(spec: TaskSpec, fmt: str, vid: str, dim: str, k: int, item: dict[str, Any], ctx: dict[str, Any]) -> Sample:
    question, answer = str(item["question"]), str(item["answer"])
    meta: dict[str, Any] = {"format": fmt, "video_id": vid, "dim": dim, "question": question}
    meta["fine_aspect"] = fine_aspect(ctx["meta_info"], vid, dim)
    if fmt == "captioning":
        first_mc = ctx["multi-choice"][vid][dim][0]
        meta["mc_question"], meta["mc_answer"] = str(first_mc["question"]), str(first_mc["answer"])
    base = f"{spec.media_dir}/" if spec.media_dir else ""
    return Sample(
        sample_id=f"{spec.name}/{fmt}/{vid}/{dim}/{k}",
        task=spec.name,
        subset=fmt,
        media=Media(f"{base}{vid}.mp4"),
        prompt=question + spec.prompt.get("answer_prompt", {}).get(fmt, ""),
        answer=answer,
        source=SourceRef(ctx["rel"], pointer(vid, dim, k)),
        options=question.split("\n")[1:] if fmt in ("multi-choice", "caption_matching") else None,
        system=spec.prompt.get("system"),
        meta=meta,
    )


@LOADERS.register("tempcompass_json")
def load_tempcompass(spec: TaskSpec, data_root: Path) -> LoadResult:
    result = LoadResult(samples=[])
    data: dict[str, tuple[str, Any]] = {}
    for ann, rel, records in json_annotations(spec, data_root, result):
        data[fmt_of(ann.name)] = (rel, records)
    missing = {*FORMATS, "meta_info"} - set(data)
    if missing:
        raise ConfigError(f"task {spec.name}: data.annotations lacks {sorted(missing)}")
    ctx: dict[str, Any] = {"meta_info": data["meta_info"][1], "multi-choice": data["multi-choice"][1]}
    for fmt in FORMATS:
        rel, questions = data[fmt]
        ctx["rel"] = rel
        for vid, dims in questions.items():
            for dim, items in dims.items():
                for k, item in enumerate(items):
                    try:
                        result.samples.append(_sample(spec, fmt, vid, dim, k, item, ctx))
                    except (KeyError, IndexError, TypeError, AttributeError) as exc:
                        result.issues.append(LoadIssue(rel, pointer(vid, dim, k), f"malformed record: {exc!r}"))
    return result
