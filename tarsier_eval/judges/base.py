"""The judge protocol scorers program against; tarsier_eval.judges.client implements it over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class JudgeParseError(ValueError):
    """A judge reply that does not have the expected form; the client retries it as the official code does."""


@dataclass
class JudgeRequest:
    """One chat completion to ask for. `parse` turns the reply text into a value or raises JudgeParseError.

    `max_parse_attempts` bounds how often a reply that does not parse is asked for again (None: the client's
    default); the official scripts retry malformed replies (AutoDQ: 10 times) before giving a sample up.
    `then` makes follow-up requests from this request's successful outcome (AutoDQ's entailment step needs the
    events its extraction step returned); see tarsier_eval.judges.chain.
    """

    key: str
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    parse: Callable[[str], Any] | None = None
    max_parse_attempts: int | None = None
    then: Callable[[JudgeOutcome], list[JudgeRequest]] | None = None


@dataclass
class JudgeOutcome:
    """The answer to one JudgeRequest: `value` when it succeeded, else `error` (the sample is `judge_failed`)."""

    key: str
    value: Any = None
    text: str | None = None
    error: str | None = None
    cached: bool = False
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class Judge(Protocol):
    """Runs many requests with bounded concurrency, retries and a persistent cache.

    `run` ignores `then`. A judge may also offer `run_with_followups(requests, desc)`, returning what
    `judges.chain.run_with_followups` returns; the HTTP judge does, starting each follow-up as soon as the outcome
    it needs is known (no barrier between rounds).
    """

    model: str

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        """One outcome per request, in the order of `requests`; never raises for a failed request."""
        ...
