"""Reading lmms-eval `--log_samples` files: `<output>/<model>/<date>_samples_<task>.jsonl`, one document a line.

Two layouts are read (lmms-eval's loggers/evaluation_tracker.py `save_results_samples`):
- v0.4 and later: `doc_id`, `target` (as a string), `filtered_resps` (a string when the document had one request),
  `resps` only when it differs from `filtered_resps`, `input` (the prompt text), hashes, and what the task's
  `process_results` returned (e.g. `videomme_perception_score: {question_id, videoID, ...}`); no `doc`.
- up to v0.3: the same plus `doc` (the document's fields that are not media) and `arguments`.
The task is named by the file name only (a line does not say it). The reply taken is `filtered_resps` (what
lmms-eval scored: after the task's filters and reasoning-tag stripping), else `resps`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tarsier_eval.errors import UsageError

SAMPLES_NAME = re.compile(r"_samples_(?P<task>.+)\.jsonl$")
RESERVED = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "input", "doc_hash", "prompt_hash",
            "target_hash", "token_counts", "input_media"}  # fmt: skip


@dataclass
class LogRecord:
    """One document of an lmms-eval samples file and the reply lmms-eval logged for it."""

    file: Path
    line: int
    lmms_task: str
    doc_id: Any
    response: str
    target: str | None = None
    input: str | None = None
    doc: dict[str, Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)  # per-document process_results values

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line} ({self.lmms_task} doc {self.doc_id})"

    def fields(self) -> dict[str, Any]:
        """What the log says about the document: `doc`, then the dict values process_results returned."""
        found: dict[str, Any] = {}
        for value in self.metrics.values():
            if isinstance(value, dict):
                found.update({k: v for k, v in value.items() if k not in found})
        return {**found, **(self.doc or {})}


def task_of(path: Path) -> str:
    """The lmms-eval task a samples file holds, from its name (`20250101_120000_samples_tvbench_action_count.jsonl`)."""
    match = SAMPLES_NAME.search(path.name)
    if match is None:
        raise UsageError(f"{path}: cannot tell which lmms-eval task this file holds; lmms-eval names its samples "
                         "files <date>_samples_<task>.jsonl")  # fmt: skip
    return match.group("task")


def _reply(value: Any, where: str) -> str:
    """The one reply inside lmms-eval's nesting (`[[text]]`, `[text]` or `text`)."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        raise UsageError(f"{where}: {len(value)} replies for one document; only generation tasks can be imported")
    raise UsageError(f"{where}: the reply must be a string, got {type(value).__name__}")


def _record(data: Any, path: Path, number: int, task: str) -> LogRecord:
    where = f"{path}:{number}"
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if "doc_id" not in data:
        raise UsageError(f"{where}: no 'doc_id': not an lmms-eval samples line")
    key = "filtered_resps" if "filtered_resps" in data else "resps"
    if key not in data:
        raise UsageError(f"{where}: neither 'filtered_resps' nor 'resps': no reply logged")
    doc = data.get("doc")
    target = data.get("target")
    return LogRecord(
        path, number, task, data["doc_id"], _reply(data[key], where), None if target is None else str(target),
        data.get("input") if isinstance(data.get("input"), str) else None, doc if isinstance(doc, dict) else None,
        {k: v for k, v in data.items() if k not in RESERVED},
    )  # fmt: skip


def read_log(path: Path) -> list[LogRecord]:
    """Every document of one samples file; a malformed line is a usage error naming file and line."""
    task = task_of(path)
    records = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{number}: not JSON ({exc.msg})") from None
            records.append(_record(data, path, number, task))
    return records


def samples_files(paths: list[Path]) -> list[Path]:
    """The samples files named, and those under the folders named (lmms-eval's output folder), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.jsonl") if SAMPLES_NAME.search(p.name))
            if not inside:
                raise UsageError(f"{path} holds no lmms-eval samples files (*_samples_<task>.jsonl)")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"lmms-eval log {path} not found")
    return list(dict.fromkeys(found))
