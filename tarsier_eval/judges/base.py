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
    `then`, when set, turns this request's outcome into follow-up requests (a dependent second stage); run them
    with `judges.chain.run_chain`, which starts each as soon as the outcome it depends on is known.
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

    A judge whose class sets `follows_up = True` also runs the follow-ups of requests that have a `then`, as
    `judges.chain.run_chain` specifies (their outcomes after those of `requests`); other judges ignore `then` and
    `run_chain` runs the follow-ups in waves.
    """

    model: str

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        """One outcome per request, in the order of `requests`; never raises for a failed request."""
        ...
