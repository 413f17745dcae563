"""Dependent judge requests: a request's `then` turns its outcome into follow-ups, with no barrier between stages.

`run_chain(judge, requests, desc)` returns the outcomes of `requests` and of every follow-up (and of theirs, to
any depth) in *wave order*: the outcomes of `requests` in order, then the follow-ups those made (grouped by the
request that made them, in that order), then the follow-ups of those, and so on. A judge with
`follows_up = True` (the HTTP client) starts each follow-up as soon as its parent's outcome is known, under the
same concurrency bound, cache and deduplication, through `follow`; for any other judge `run_chain` calls
`judge.run` once per wave. Both ask the same requests and return the same outcomes in the same order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tarsier_eval.judges.base import Judge, JudgeOutcome, JudgeRequest


def run_chain(judge: Judge, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
    """The outcomes of `requests` and of all their follow-ups, in wave order (see the module docstring)."""
    if getattr(judge, "follows_up", False):
        return judge.run(requests, desc)
    outcomes: list[JudgeOutcome] = []
    wave = list(requests)
    while wave:
        answered = judge.run(wave, desc)
        outcomes.extend(answered)
        wave = [f for req, o in zip(wave, answered, strict=True) if req.then is not None for f in req.then(o)]
    return outcomes


@dataclass
class _Node:
    request: JudgeRequest
    outcome: JudgeOutcome | None = None
    children: list[_Node] = field(default_factory=list)


async def follow(
    requests: list[JudgeRequest],
    answer: Callable[[JudgeRequest], Awaitable[JudgeOutcome]],
    added: Callable[[int], None] | None = None,
) -> list[JudgeOutcome]:
    """Answers `requests` with `answer`, each follow-up as soon as its parent's outcome is known; wave order.

    `added(n)` is told of each batch of n follow-ups when it is made (for a progress total).
    """

    async def visit(node: _Node) -> None:
        node.outcome = await answer(node.request)
        if node.request.then is not None:
            node.children = [_Node(r) for r in node.request.then(node.outcome)]
            if added is not None and node.children:
                added(len(node.children))
            await asyncio.gather(*(visit(child) for child in node.children))

    order = [_Node(r) for r in requests]
    await asyncio.gather(*(visit(node) for node in order))
    i = 0
    while i < len(order):  # breadth first: the waves one after the other
        order.extend(order[i].children)
        i += 1
    return [node.outcome for node in order if node.outcome is not None]
