"""Finding and reading annotation files under a task's data root, with checksums and JSON pointers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tarsier_eval.data.records import Item
from tarsier_eval.data.sample import LoadIssue, LoadResult
from tarsier_eval.errors import UsageError
from tarsier_eval.task import AnnotationFile, TaskSpec


def task_data_root(spec: TaskSpec, data_root: Path) -> Path:
    """The folder that holds a task's annotations: `<data_root>/<data.dir>` if present, else `data_root` itself."""
    candidate = data_root / spec.data_dir if spec.data_dir else data_root
    if candidate.is_dir():
        return candidate
    if data_root.is_dir():
        return data_root
    raise UsageError(f"data root {data_root} does not exist (task {spec.name} looks for {spec.data_dir or '.'}/)")


def find_annotation(root: Path, ann: AnnotationFile, task: str) -> Path:
    """The first of the official name and its aliases that exists under `root`."""
    for name in (ann.name, *ann.aliases):
        path = root / name
        if path.is_file():
            return path
    tried = ", ".join((ann.name, *ann.aliases))
    raise UsageError(f"task {task}: annotation file not found under {root} (tried {tried})")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def escape_pointer_token(token: str | int) -> str:
    """RFC 6901 escaping of one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + escape_pointer_token(t) for t in tokens)


def iter_jsonl(path: Path, rel: str) -> Iterator[tuple[int, dict[str, Any] | None, LoadIssue | None]]:
    """Yield (line index, record, None) per line, or (index, None, issue) for a malformed line; blank lines skip."""
    with path.open(encoding="utf-8") as fh:
        for index, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield index, None, LoadIssue(rel, pointer(index), f"malformed JSON line {index + 1}: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield index, None, LoadIssue(rel, pointer(index), f"line {index + 1} is not a JSON object")
                continue
            yield index, record, None


def read_json(path: Path, rel: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"annotation file {rel} is not valid JSON: {exc}") from exc


class AnnotationFiles:
    """A task's annotation files under its data root: found by name or alias, checksummed into `result.files`,
    read as JSON, JSONL, CSV/TSV or parquet; unreadable JSONL lines go to `result.issues`."""

    def __init__(self, spec: TaskSpec, data_root: Path, result: LoadResult):
        self.spec = spec
        self.root = task_data_root(spec, data_root)
        self.result = result

    def issue(self, file: str, pointer: str, message: str) -> None:
        """Report a part of an annotation file that yields no sample."""
        self.result.issues.append(LoadIssue(file, pointer, message))

    def path(self, ann: AnnotationFile) -> tuple[Path, str]:
        """(path, name relative to the task root) of an annotation file, checksummed."""
        path = find_annotation(self.root, ann, self.spec.name)
        rel = path.relative_to(self.root).as_posix()
        self.result.files[rel] = sha256_file(path)
        return path, rel

    def json(self, ann: AnnotationFile) -> tuple[str, Any]:
        """(relative name, parsed JSON); a file that is not valid JSON is a usage error naming it."""
        path, rel = self.path(ann)
        return rel, read_json(path, rel)

    def jsonl(self, ann: AnnotationFile) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(relative name, line index, record) of every intact line; broken lines become issues."""
        path, rel = self.path(ann)
        for index, record, issue in iter_jsonl(path, rel):
            if issue is not None:
                self.result.issues.append(issue)
            else:
                yield rel, index, record  # type: ignore[misc]

    def keyed(self, ann: AnnotationFile, what: str) -> tuple[str, dict[str, Any]]:
        """(relative name, the JSON object's entries) of a file holding one object keyed by `what`; any other
        JSON is one issue for the file and no entries."""
        rel, data = self.json(ann)
        if not isinstance(data, dict):
            self.issue(rel, "", f"expected a JSON object keyed by {what}")
            return rel, {}
        return rel, data

    def list_items(self, ann: AnnotationFile) -> Iterator[Item]:
        """One Item per record of a JSONL file or a JSON list (anything else: one issue for the file)."""
        if ann.name.endswith(".jsonl"):
            for rel, index, record in self.jsonl(ann):
                yield Item(rel, pointer(index), record)
            return
        rel, records = self.json(ann)
        if not isinstance(records, list):
            self.issue(rel, "", "expected a JSON list of records")
            return
        for index, record in enumerate(records):
            yield Item(rel, pointer(index), record)
