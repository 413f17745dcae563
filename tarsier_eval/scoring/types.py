"""Plain records of scoring: a prediction, a parsed answer, a per-sample result and a task's scores."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tarsier_eval.errors import ConfigError

if TYPE_CHECKING:
    from tarsier_eval.judges.base import Judge

SampleStatus = Literal["ok", "unparsed", "missing", "error", "judge_failed", "unjudged"]


@dataclass
class Prediction:
    """A model's reply for one sample, or the error that prevented one."""

    sample_id: str
    response: str | None
    error: str | None = None


@dataclass
class Parsed:
    """What a parser read in a reply. `method` "none" means nothing usable was read (the sample is unparsed).

    `correct` is set by parsers whose official rule decides correctness itself (MVBench's check_ans compares the
    reply with the gold option text, not a letter); otherwise a reply is correct when `value` equals the gold.
    """

    value: Any
    method: str = "rule"  # rule | llm | random | none
    correct: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.method != "none"

    def matches(self, gold: Any) -> bool:
        return self.correct if self.correct is not None else self.value == gold


@dataclass
class SampleResult:
    """One sample's outcome. `score` is None when the sample did not count (missing, error, unjudged...)."""

    sample_id: str
    subset: str
    status: SampleStatus
    parsed: Any = None
    score: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class TaskScores:
    """A task's metrics: `metrics[subset][metric]`, with the reserved subset "overall"."""

    task: str
    headline: str
    metrics: dict[str, dict[str, float | None]]
    samples: list[SampleResult]
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    protocol: str | None = None  # e.g. "paper=tarsier@1": the scoring protocol applied

    def counts(self) -> dict[str, int]:
        statuses = [s.status for s in self.samples]
        return {
            "n": len(statuses),
            "n_scored": sum(s.score is not None for s in self.samples),
            "n_unparsed": statuses.count("unparsed"),
            "n_missing": statuses.count("missing"),
            "n_errors": statuses.count("error"),
            "n_judge_failed": statuses.count("judge_failed"),
            "n_unjudged": statuses.count("unjudged"),
        }

    def subset_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.samples:
            counts[s.subset] = counts.get(s.subset, 0) + 1
        return counts

    @property
    def headline_value(self) -> float | None:
        return self.metrics.get("overall", {}).get(self.headline)

    def to_json(self) -> dict[str, Any]:
        """The per-task entry of `scores.json` (DESIGN contract: metrics by subset and overall, n, n_unparsed...)."""
        return {
            "task": self.task,
            "headline": self.headline,
            "headline_value": self.headline_value,
            "metrics": self.metrics,
            "subset_n": self.subset_counts(),
            **self.counts(),
            "notes": self.notes,
            **({"extra": self.extra} if self.extra else {}),
            **({"protocol": self.protocol} if self.protocol else {}),
        }

    def sample_records(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.samples]


@dataclass
class ScoreContext:
    """What a scorer may use beyond samples and predictions: options (YAML then CLI), the task's answer parser with
    its options, a judge, a seeded RNG."""

    options: dict[str, Any] = field(default_factory=dict)
    judge: Judge | None = None
    seed: int = 0
    parser: Callable[..., Parsed] | None = None
    parser_options: dict[str, Any] = field(default_factory=dict)

    def parse(self, response: str, sample: Any) -> Parsed:
        """The task's parser (YAML `parser:`) applied to one reply."""
        if self.parser is None:
            raise ConfigError("this task's scorer reads answers with a parser, but none is configured")
        return self.parser(response, sample, **self.parser_options)

    def rng(self, salt: str = "") -> random.Random:
        """A deterministic RNG per (seed, salt): random fallbacks never depend on call order across tasks."""
        return random.Random(f"{self.seed}:{salt}")

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)
