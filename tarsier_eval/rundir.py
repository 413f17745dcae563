"""The run directory's files as types: written by the runner and `score`, read by reports, gates and compare.

`<results>/runs/<run_id>/` holds (docs/architecture.md has the full contract):
- `manifest.json` (`Manifest`): what produced the run (command history, config, run fingerprint, model, task
  versions and annotation checksums, package versions, judge usage), its status and the flags that must travel
  with its numbers;
- `samples.jsonl` (`SampleRow` per line): prompt, response, parsed answer, score, status and error per sample;
- `scores.json` (`ScoresFile`): per task (`TaskEntry`) the metrics by subset and overall with the sample counts;
- `shards/<task>/rank<r>-of<W>.jsonl` (`ShardRecord` per line) while generating.
Every file carries `schema`; a file of a newer schema than this code reads is refused with a clear error. Files
are written atomically (temporary file, fsync, rename), so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tarsier_eval.errors import UsageError

SCHEMA = 2
RUNNING, INCOMPLETE, COMPLETE = "running", "incomplete", "complete"


# ---- atomic writing -------------------------------------------------------------------------------------------
def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data: Any, **kw: Any) -> str:
    """JSON that can be written as UTF-8: readable text, but escaped where it holds a lone surrogate (a model or
    judge reply can: Python's literal_eval of "\\ud83d" makes one), so a write never fails on what was read."""
    text = json.dumps(data, ensure_ascii=False, default=str, **kw)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, default=str, **kw)
    return text


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, dumps(data, indent=2) + "\n")


def atomic_write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(dumps(r) + "\n" for r in rows))


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The entries of `data` that are fields of `cls` (older files lack new fields; their defaults apply)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _check_schema(data: dict[str, Any], path: Path) -> None:
    schema = data.get("schema", 1)
    if not isinstance(schema, int) or schema > SCHEMA:
        raise UsageError(f"{path} has schema {schema!r}; this tarsier-eval reads up to {SCHEMA}: upgrade it")


def read_json_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"not a run dir (missing {path.name}): {path.parent}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"malformed JSON in {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object")
    _check_schema(data, path)
    return data


# ---- shards ---------------------------------------------------------------------------------------------------
@dataclass
class ShardRecord:
    """One generated sample as a rank appends it to its shard file."""

    sample_id: str
    response: str | None
    error: str | None = None
    num_frames: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShardRecord:
        return cls(**_known(cls, data))


# ---- samples.jsonl --------------------------------------------------------------------------------------------
@dataclass
class SampleRow:
    """One line of samples.jsonl: a sample's inputs, output and verdict."""

    sample_id: str
    task: str
    subset: str | None = None
    video: str | None = None
    prompt: str | None = None
    response: str | None = None
    parsed: Any = None
    score: float | None = None
    status: str = "unknown"
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SampleRow:
        return cls(**_known(cls, data))


def write_samples(path: Path, rows: list[SampleRow]) -> None:
    atomic_write_jsonl(path, [r.to_json() for r in rows])


def read_samples(path: Path) -> list[SampleRow]:
    """Every row of a samples.jsonl ([] when there is none); a line that is not a JSON object is a usage error."""
    if not path.is_file():
        return []
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(SampleRow.from_json(json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise UsageError(f"{path}:{number}: not a sample row ({exc})") from exc
    return rows


# ---- scores.json ----------------------------------------------------------------------------------------------
@dataclass
class TaskEntry:
    """One task's scores: metrics[subset][metric] ("overall" included), the counts behind them and notes."""

    task: str
    headline: str
    headline_value: float | None
    metrics: dict[str, dict[str, float | None]]
    subset_n: dict[str, int] = field(default_factory=dict)
    n: int = 0
    n_scored: int = 0
    n_unparsed: int = 0
    n_missing: int = 0
    n_errors: int = 0
    n_judge_failed: int = 0
    n_unjudged: int = 0
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    protocol: str | None = None

    def value(self, subset: str, metric: str) -> float | None:
        v = self.metrics.get(subset, {}).get(metric)
        return float(v) if isinstance(v, (int, float)) else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskEntry:
        return cls(**_known(cls, data))


@dataclass
class ScoresFile:
    run_id: str
    tasks: dict[str, TaskEntry]
    schema: int = SCHEMA

    def write(self, path: Path) -> None:
        atomic_write_json(path, {"schema": self.schema, "run_id": self.run_id,
                                 "tasks": {k: v.to_json() for k, v in self.tasks.items()}})  # fmt: skip

    @classmethod
    def read(cls, path: Path) -> ScoresFile:
        data = read_json_file(path)
        if not isinstance(data.get("tasks"), dict):
            raise UsageError(f"{path} has no 'tasks' object")
        tasks = {k: TaskEntry.from_json(v) for k, v in data["tasks"].items()}
        return cls(str(data.get("run_id") or path.parent.name), tasks, data.get("schema", 1))


# ---- manifest.json --------------------------------------------------------------------------------------------
@dataclass
class Invocation:
    """One command that worked on the run: its start, a resume, a shard, a merge or a score."""

    kind: str
    command: list[str]
    at: str
    shard: str | None = None
    world_size: int = 1
    id: str = ""
    pid: int | None = None
    allowed_changes: list[str] = field(default_factory=list)
    finished: str | None = None
    timings: dict[str, dict[str, float]] = field(default_factory=dict)  # task -> decode/wait/generate seconds...


@dataclass
class TaskRecord:
    """What a task's numbers depend on besides the model: its version, protocol and annotation files."""

    version: int
    annotations: dict[str, str] = field(default_factory=dict)
    protocol: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    """A run's provenance and state; never holds a secret."""

    run_id: str
    created: str
    command: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] | None = None
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    git_sha: str | None = None
    packages: dict[str, str | None] = field(default_factory=dict)
    world_size: int = 1  # of the latest invocation that generated (see history for each)
    status: str = RUNNING
    history: list[Invocation] = field(default_factory=list)
    missing_shards: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    judge: dict[str, Any] | None = None
    finished: str | None = None
    schema: int = SCHEMA

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        known = _known(cls, data)
        known["tasks"] = {k: TaskRecord(**_known(TaskRecord, v)) for k, v in (data.get("tasks") or {}).items()}
        known["history"] = [Invocation(**_known(Invocation, h)) for h in data.get("history") or []]
        known.setdefault("command", [])
        known.setdefault("created", "")
        known.setdefault("run_id", "")
        return cls(**known)

    def write(self, run_dir: Path) -> None:
        atomic_write_json(run_dir / "manifest.json", self.to_json())

    @classmethod
    def read(cls, run_dir: Path) -> Manifest:
        return cls.from_json(read_json_file(run_dir / "manifest.json"))

    @classmethod
    def read_if_any(cls, run_dir: Path) -> Manifest | None:
        return cls.read(run_dir) if (run_dir / "manifest.json").is_file() else None

    @property
    def model_name(self) -> str | None:
        return (self.model or {}).get("label") or (self.model or {}).get("name")

    @property
    def model_fingerprint(self) -> str | None:
        return (self.model or {}).get("fingerprint")
