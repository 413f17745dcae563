"""The official random answer for an unreadable reply (LongVideoBench, TOMATO), drawn reproducibly."""

from __future__ import annotations

from tarsier_eval.data.sample import Sample
from tarsier_eval.scoring.framework import Verdict
from tarsier_eval.scoring.types import ScoreContext


def random_choice(sample: Sample, choices: list[str], ctx: ScoreContext) -> Verdict:
    """An unparsed verdict whose answer is `random.choice(choices)` from an RNG seeded by (run seed, task, sample
    id): the same draw on every machine and in any sample order, unlike the official unseeded global RNG."""
    drawn = ctx.rng(f"{sample.task}:{sample.sample_id}").choice(choices)
    return Verdict(drawn, float(drawn == sample.answer), {"method": "random", "random_letter": drawn}, False)
