"""Perception Test (mc, valid) top-1 accuracy: correct / all questions, replies parsed by the lmms-eval rule
(parser `perceptiontest_letter`); unparsable, missing and failed replies count wrong.
Breakdowns: per area (subsets), per reasoning type (`reasoning:<X>`) and per tag (`tag:<t>`), micro within each.
"""

from __future__ import annotations

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import pct_by_group
from tarsier_eval.scoring.framework import ParsedAnswerScorer, Row, Table
from tarsier_eval.scoring.types import ScoreContext


def _groups(rows: list[Row], ctx: ScoreContext) -> Table:
    pairs = [
        (key, r.score)
        for s, r in rows
        for key in ("overall", s.subset, f"reasoning:{s.meta['reasoning']}", *(f"tag:{t}" for t in s.meta["tags"]))
    ]
    return {name: {"accuracy": value} for name, value in pct_by_group(pairs).items()}


@SCORERS.register("perceptiontest_accuracy")
class PerceptionTestAccuracy(ParsedAnswerScorer):
    default_parser = "perceptiontest_letter"
    metrics = (_groups,)
