"""Loader for plain MCQ JSONL (`{"id", "video", "subset", "question", "candidates", "answer": <option text>}`).

Used by the embedded demo task; any local MCQ set in this shape can be evaluated with it.
"""

from __future__ import annotations

from pathlib import Path

from tarsier_eval.data.files import RECORD_ERRORS, jsonl_records, pointer
from tarsier_eval.data.options import option_label
from tarsier_eval.data.prompting import render_mcq_prompt
from tarsier_eval.data.sample import LoadIssue, LoadResult, Media, Sample, SourceRef
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec


@LOADERS.register("simple_mcq")
def load_simple_mcq(spec: TaskSpec, data_root: Path) -> LoadResult:
    result = LoadResult(samples=[])
    for rel, index, record in jsonl_records(spec, data_root, result):
        try:
            options = [str(c) for c in record["candidates"]]
            answer = option_label(options.index(record["answer"]))
            sample = Sample(
                sample_id=f"{spec.name}/{record['id']}", task=spec.name, subset=str(record.get("subset", "all")),
                media=Media(str(record["video"])), prompt=render_mcq_prompt(spec.prompt, record["question"], options),
                answer=answer, source=SourceRef(rel, pointer(index)), options=options,
                system=spec.prompt.get("system"), response_prefix=spec.prompt.get("response_prefix"),
            )  # fmt: skip
        except RECORD_ERRORS as exc:
            result.issues.append(LoadIssue(rel, pointer(index), f"malformed record: {exc!r}"))
            continue
        result.samples.append(sample)
    return result
