"""An in-process deterministic judge for scorer unit tests (the HTTP client has its own loopback tests)."""

from __future__ import annotations

from collections.abc import Callable

from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest


class StubJudge:
    """Replies `reply(request)`, parsed by the request's own parser; a None reply is a failed call, and so is a
    reply the parser rejects (as the HTTP client reports it once its parse attempts are spent)."""

    model = "stub-judge"

    def __init__(self, reply: Callable[[JudgeRequest], str | None]):
        self.reply = reply
        self.requests: list[JudgeRequest] = []

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        self.requests.extend(requests)
        outcomes = []
        for req in requests:
            text = self.reply(req)
            if text is None:
                outcomes.append(JudgeOutcome(req.key, error="HTTP 500 after retries"))
                continue
            try:
                outcomes.append(JudgeOutcome(req.key, req.parse(text) if req.parse else text, text))
            except JudgeParseError as exc:
                outcomes.append(JudgeOutcome(req.key, text=text, error=str(exc)))
        return outcomes
