"""Requests with follow-ups: run a batch, then the requests its successful outcomes ask for, until none are left."""

from __future__ import annotations

from tarsier_eval.judges.base import Judge, JudgeOutcome, JudgeRequest


def run_with_followups(
    judge: Judge, requests: list[JudgeRequest], desc: str
) -> list[tuple[JudgeRequest, JudgeOutcome]]:
    """(root request, outcome) for every request and every follow-up it led to, roots in order, then each round."""
    done: list[tuple[JudgeRequest, JudgeOutcome]] = []
    frontier = [(request, request) for request in requests]
    while frontier:
        outcomes = judge.run([request for _, request in frontier], desc=desc)
        following: list[tuple[JudgeRequest, JudgeRequest]] = []
        for (root, request), outcome in zip(frontier, outcomes, strict=True):
            done.append((root, outcome))
            if outcome.ok and request.then is not None:
                following.extend((root, follow) for follow in request.then(outcome))
        frontier = following
    return done
