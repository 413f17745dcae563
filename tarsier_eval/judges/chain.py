"""Requests with follow-ups: run a batch, then the requests its successful outcomes ask for, until none are left.

`run_with_followups(judge, requests, desc)` returns (root request, outcome) for every request and every follow-up
it led to (at any depth), in round order: the roots in order, then the follow-ups their outcomes made (grouped by
the request that made them, in that order), then theirs, and so on. A judge that offers its own
`run_with_followups` (the HTTP judge) starts each follow-up as soon as the outcome it needs is known, under the
same concurrency bound, cache and deduplication, through `follow` (no barrier between rounds); for any other
judge the rounds run one `judge.run` after the other. Both ask the same requests and return the same pairs in the
same order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tarsier_eval.judges.base import Judge, JudgeOutcome, JudgeRequest

Pairs = list[tuple[JudgeRequest, JudgeOutcome]]


def run_with_followups(judge: Judge, requests: list[JudgeRequest], desc: str) -> Pairs:
    """(root request, outcome) for every request and every follow-up it led to, roots in order, then each round."""
    native = getattr(judge, "run_with_followups", None)
    if native is not None:
        return native(requests, desc)
    done: Pairs = []
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


@dataclass
class _Node:
    root: JudgeRequest
    request: JudgeRequest
    outcome: JudgeOutcome | None = None
    children: list[_Node] = field(default_factory=list)


async def follow(
    requests: list[JudgeRequest],
    answer: Callable[[JudgeRequest], Awaitable[JudgeOutcome]],
    added: Callable[[int], None] | None = None,
) -> Pairs:
    """Answers `requests` with `answer`, each follow-up as soon as its parent succeeded; pairs in round order.

    `added(n)` is told of each batch of n follow-ups when it is made (for a progress total).
    """

    async def visit(node: _Node) -> None:
        node.outcome = outcome = await answer(node.request)
        if outcome.ok and node.request.then is not None:
            node.children = [_Node(node.root, r) for r in node.request.then(outcome)]
            if added is not None and node.children:
                added(len(node.children))
            await asyncio.gather(*(visit(child) for child in node.children))

    order = [_Node(r, r) for r in requests]
    await asyncio.gather(*(visit(node) for node in order))
    i = 0
    while i < len(order):  # breadth first: the rounds one after the other
        order.extend(order[i].children)
        i += 1
    return [(node.root, node.outcome) for node in order if node.outcome is not None]
