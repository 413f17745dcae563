"""Scoring protocols: named, versioned recipes for scoring (and running) one task, declared in its YAML.

A benchmark often has several scorers in circulation: the authors' script (`official`), the Tarsier team's own
evaluation code (`tarsier`), lmms-eval's port (`lmms-eval`)... Each task YAML lists the ones it supports under
`protocols:`; a protocol may set the parser, scorer options, loader options and, for `run`, the prompt, video and
generation settings where they differ from the task's base definition (which is the `official` protocol).
`paper` is an alias (`same_as:`) for the protocol that produced the Tarsier2 paper's published number, with the
evidence for that choice; it is the default. docs/protocols.md describes every task's protocols.

```yaml
protocols:
  official: {version: 1, source: "daniel-cores/tvbench infer.ipynb check_ans"}
  tarsier:
    version: 1
    source: "bytedance/tarsier evaluation/metrics/evaluate_qa_mc.py AccuracyMetric"
    parser: tarsier_first_char
    scorer_options: {unparsed: exclude}
  paper: {same_as: tarsier, evidence: "the tarsier2 README prints OVERALL 54.7 from this code"}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tarsier_eval.errors import ConfigError, UsageError

DEFAULT = "paper"
BASE = "official"
_KEYS = {"version", "source", "parser", "scorer_options", "loader_options", "prompt", "video", "generation",
         "same_as", "evidence", "notes"}  # fmt: skip


@dataclass(frozen=True)
class Protocol:
    """One protocol of a task as its YAML declares it (see the module docstring)."""

    name: str
    version: int = 1
    source: str = ""
    parser: Any = None  # a Mechanism
    scorer_options: dict[str, Any] = field(default_factory=dict)
    loader_options: dict[str, Any] = field(default_factory=dict)
    prompt: dict[str, Any] = field(default_factory=dict)
    video: dict[str, Any] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)
    same_as: str | None = None
    evidence: str = ""
    notes: str = ""


def parse_protocols(raw: Any, where: str, mechanism: Any) -> dict[str, Protocol]:
    """The `protocols:` mapping of a task YAML; `official` is always there (the task's base definition)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'protocols' must map names to protocol definitions")
    out: dict[str, Protocol] = {}
    for name, body in raw.items():
        body = body or {}
        if not isinstance(body, dict) or set(body) - _KEYS:
            raise ConfigError(f"{where}: protocol {name!r} has unknown keys {sorted(set(body) - _KEYS)}")
        parser = mechanism(body["parser"], f"{where}: protocol {name} parser") if "parser" in body else None
        fields = {k: v for k, v in body.items() if k not in ("parser",)}
        out[str(name)] = Protocol(str(name), parser=parser, **fields)
    out.setdefault(BASE, Protocol(BASE))
    for p in out.values():
        if p.same_as is not None and (p.same_as not in out or out[p.same_as].same_as is not None):
            raise ConfigError(f"{where}: protocol {p.name} is the same as {p.same_as!r}, which is not a protocol")
    return out


@dataclass(frozen=True)
class Resolved:
    """The protocol a request resolved to: `requested` (e.g. "paper") -> `name` at `version`."""

    requested: str
    name: str
    version: int

    @property
    def label(self) -> str:
        """e.g. "tarsier@1", or "paper=tarsier@1" when it was asked for through the alias."""
        core = f"{self.name}@{self.version}"
        return core if self.requested == self.name else f"{self.requested}={core}"

    @property
    def key(self) -> str:
        """What makes two results comparable: the protocol actually applied and its version."""
        return f"{self.name}@{self.version}"


def resolve(spec: Any, requested: str | None) -> Resolved:
    """The protocol `requested` names for `spec` (None: the default), following `same_as` aliases."""
    name = requested or DEFAULT
    protocols = spec.protocols
    if name not in protocols:
        if requested is None:  # a task without a `paper` alias scores under its base definition
            name = BASE
        else:
            raise UsageError(f"task {spec.name} has no protocol {name!r} (it has: {', '.join(sorted(protocols))})")
    chosen = protocols[name]
    target = protocols[chosen.same_as] if chosen.same_as else chosen
    return Resolved(name, target.name, target.version)


def apply(spec: Any, requested: str | None) -> tuple[Any, Resolved]:
    """(the TaskSpec with the protocol's settings applied, the resolved protocol)."""
    from tarsier_eval.task import Mechanism

    resolved = resolve(spec, requested)
    p = spec.protocols[resolved.name]
    scorer = Mechanism(spec.scorer.name, {**spec.scorer.options, **p.scorer_options}) if spec.scorer else None
    loader = Mechanism(spec.loader.name, {**spec.loader.options, **p.loader_options}) if spec.loader else None
    try:
        video = replace(spec.video, **p.video)
    except TypeError as exc:
        raise ConfigError(f"{spec.path}: protocol {p.name}: bad video settings: {exc}") from exc
    effective = replace(spec, parser=p.parser or spec.parser, scorer=scorer, loader=loader, video=video,
                        prompt={**spec.prompt, **p.prompt}, generation={**spec.generation, **p.generation})  # fmt: skip
    return effective, resolved


def parse_choice(text: str | None) -> dict[str, str]:
    """`--protocol NAME` (every task) or `task=NAME,task2=NAME` (per task) -> {"*" or task: name}."""
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        task, sep, name = item.partition("=")
        if sep and (not task.strip() or not name.strip()):
            raise UsageError(f"--protocol takes NAME or task=NAME,..., got {text!r}")
        out[task.strip() if sep else "*"] = (name if sep else task).strip()
    return out


def for_task(choice: dict[str, str], task: str) -> str | None:
    return choice.get(task, choice.get("*"))


def names(spec: Any) -> list[str]:
    """The task's protocols in a stable order: official first, aliases (paper) last."""
    protocols = spec.protocols
    real = sorted((n for n, p in protocols.items() if p.same_as is None), key=lambda n: (n != BASE, n))
    return real + sorted(n for n, p in protocols.items() if p.same_as is not None)
