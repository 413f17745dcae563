"""TaskSpec: one benchmark's declarative definition, read from `tasks/<name>.yaml`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from tarsier_eval.errors import ConfigError
from tarsier_eval.protocols import parse_protocols
from tarsier_eval.sources import DataSources, parse_sources

TaskStatus = Literal["implemented", "planned"]
_TOP_KEYS = {
    "name", "benchmark", "status", "version", "description", "paper_table", "data", "loader", "prompt", "video",
    "generation", "parser", "scorer", "headline", "metric", "notes", "protocols",
}  # fmt: skip


@dataclass(frozen=True)
class AnnotationFile:
    """An annotation file the task reads, by its official name; `aliases` are other names it may be saved under."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mechanism:
    """A named function from the registry plus the options the YAML gives it."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VideoSettings:
    """How frames are taken from a sample's media (see tarsier_eval.video)."""

    num_frames: int | None = 16
    sampling: str = "uniform"
    fps: float | None = None
    min_frames: int | None = None
    max_frames: int | None = None
    max_pixels: int = 460_800
    min_pixels: int = 3136
    use_bounds: bool = True


@dataclass(frozen=True)
class TaskSpec:
    """Everything the harness needs to know about one benchmark; built from YAML, never from code."""

    name: str
    benchmark: str
    status: TaskStatus
    version: int
    description: str
    metric: str
    headline: str
    path: Path
    data_dir: str = ""
    annotations: tuple[AnnotationFile, ...] = ()
    media_dir: str = ""
    loader: Mechanism | None = None
    parser: Mechanism | None = None
    scorer: Mechanism | None = None
    prompt: dict[str, Any] = field(default_factory=dict)
    video: VideoSettings = field(default_factory=VideoSettings)
    generation: dict[str, Any] = field(default_factory=dict)
    paper_table: str | None = None
    protocols: dict[str, Any] = field(default_factory=dict)  # name -> tarsier_eval.protocols.Protocol
    notes: str = ""
    builtin_data: bool = False
    sources: DataSources = field(default_factory=DataSources)

    @property
    def implemented(self) -> bool:
        return self.status == "implemented"


def _mechanism(raw: Any, where: str) -> Mechanism | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Mechanism(raw)
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        return Mechanism(raw["name"], dict(raw.get("options") or {}))
    raise ConfigError(f"{where}: expected a name or {{name, options}}, got {raw!r}")


def _require(raw: dict[str, Any], key: str, kind: type, path: Path) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind):
        raise ConfigError(f"{path}: '{key}' must be a {kind.__name__}, got {value!r}")
    return value


def parse_task(raw: dict[str, Any], path: Path) -> TaskSpec:
    """Validate one task YAML mapping and build its TaskSpec."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a task file must hold a mapping")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
    status = raw.get("status")
    if status not in ("implemented", "planned"):
        raise ConfigError(f"{path}: 'status' must be 'implemented' or 'planned', got {status!r}")
    data = raw.get("data") or {}
    annotations = tuple(
        AnnotationFile(a, ()) if isinstance(a, str) else AnnotationFile(a["name"], tuple(a.get("aliases", ())))
        for a in data.get("annotations", [])
    )
    try:
        video = VideoSettings(**(raw.get("video") or {}))
    except TypeError as exc:
        raise ConfigError(f"{path}: bad 'video' section: {exc}") from exc
    spec = TaskSpec(
        name=_require(raw, "name", str, path),
        benchmark=_require(raw, "benchmark", str, path),
        status=status,
        version=int(raw.get("version", 1)),
        description=str(raw.get("description", "")).strip(),
        metric=str(raw.get("metric", "")),
        headline=str(raw.get("headline", "accuracy")),
        path=path,
        data_dir=str(data.get("dir", "")),
        annotations=annotations,
        media_dir=str(data.get("media_dir", "")),
        loader=_mechanism(raw.get("loader"), f"{path}: loader"),
        parser=_mechanism(raw.get("parser"), f"{path}: parser"),
        scorer=_mechanism(raw.get("scorer"), f"{path}: scorer"),
        prompt=dict(raw.get("prompt") or {}),
        video=video,
        generation=dict(raw.get("generation") or {}),
        paper_table=str(raw["paper_table"]) if raw.get("paper_table") is not None else None,
        notes=str(raw.get("notes", "")).strip(),
        builtin_data=bool(data.get("builtin", False)),
        protocols=parse_protocols(raw.get("protocols"), f"{path}", _mechanism),
        sources=parse_sources(data.get("sources"), path),
    )
    if spec.path.stem != spec.name:
        raise ConfigError(f"{path}: file name must be '{spec.name}.yaml'")
    if spec.implemented and (spec.loader is None or spec.scorer is None):
        raise ConfigError(f"{path}: an implemented task needs a loader and a scorer")
    return spec


def load_task_file(path: Path) -> TaskSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    return parse_task(raw, path)


def options_for(task: str, options: dict[str, Any]) -> dict[str, Any]:
    """The overrides that apply to `task`: plain `key` entries apply to every task, `task.key` to that task only."""
    chosen = {k: v for k, v in options.items() if "." not in k}
    prefix = f"{task}."
    chosen.update({k.removeprefix(prefix): v for k, v in options.items() if k.startswith(prefix)})
    return chosen
