"""Loader for TOMATO (yale-nlp/TOMATO `data/<reasoning_type>.json`): dicts keyed by a per-file id, each with
`question`, `options` (texts), `answer` (0-based index), `demonstration_type` and the video `key`.

The prompt is the official `construct_prompt` text (src/generate_lib/construct_prompt.py), in the task YAML with
`{num_frames}`, `{question}` and `{index2ans}` (the Python repr of {"A": option, ...}, as the official f-string
writes it). Videos: `videos/<demonstration_type>/<key>.mp4`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tarsier_eval.data.files import json_annotations, pointer
from tarsier_eval.data.options import option_label
from tarsier_eval.data.sample import LoadIssue, LoadResult, Media, Sample, SourceRef
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec


def reasoning_type(file_name: str) -> str:
    """`data/shape&trend.json` or `full.shape&trend.json` -> `shape&trend`."""
    return Path(file_name).stem.removeprefix("full.")


def _sample(spec: TaskSpec, rtype: str, key: str, record: dict[str, Any], rel: str) -> Sample:
    question = str(record["question"])
    options = [str(o) for o in record["options"]]
    answer = record["answer"]
    if not isinstance(answer, int) or not 0 <= answer < len(options):
        raise ValueError(f"answer index {answer!r} out of range for {len(options)} options")
    all_choices = [option_label(i) for i in range(len(options))]
    index2ans = dict(zip(all_choices, options, strict=True))
    demo = str(record["demonstration_type"])
    base = f"{spec.media_dir}/" if spec.media_dir else ""
    prompt = spec.prompt["template"].format(num_frames=spec.video.num_frames, question=question, index2ans=index2ans)
    return Sample(
        sample_id=f"{spec.name}/{rtype}/{key}",
        task=spec.name,
        subset=rtype,
        media=Media(f"{base}{demo}/{record['key']}.mp4"),
        prompt=prompt,
        answer=all_choices[answer],
        source=SourceRef(rel, pointer(key)),
        options=options,
        system=spec.prompt.get("system"),
        meta={"demonstration_type": demo, "all_choices": all_choices, "index2ans": index2ans},
    )


@LOADERS.register("tomato_json")
def load_tomato(spec: TaskSpec, data_root: Path) -> LoadResult:
    result = LoadResult(samples=[])
    for ann, rel, records in json_annotations(spec, data_root, result):
        if not isinstance(records, dict):
            result.issues.append(LoadIssue(rel, "", "expected a JSON object keyed by question id"))
            continue
        rtype = reasoning_type(ann.name)
        for key, record in records.items():
            try:
                result.samples.append(_sample(spec, rtype, str(key), record, rel))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                result.issues.append(LoadIssue(rel, pointer(key), f"malformed record: {exc!r}"))
    return result
