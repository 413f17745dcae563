"""LongVideoBench (val) accuracy as lmms-eval `longvideobench_val_v` scores it.

An unparsable reply (parser `longvideobench_letter`) gets a random valid letter, as the official code does, and the
rate of random fallbacks is reported (`random_fallback_rate`; such samples are "unparsed" and count with the drawn
letter). Option `random_fallback: false` counts those replies wrong instead. A missing prediction is wrong (no draw).
Option `random_draws`: `sample` (default) draws each letter from an RNG seeded by (run seed, sample id), the same in
any order or shard (scoring/random_fallback.py); `sequence` draws them one after another, in sample order, from one
generator seeded with the run seed, as lmms-eval does (`random.seed(0)` once, then the global `random.choice` per
unparsable reply): it gives lmms-eval's letters when lmms-eval scored in one process and nothing else drew from
the global generator in between.
Accuracy: micro over all questions, per duration group (the subset) and per question category.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from tarsier_eval.data.options import option_label
from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import accuracy_by, by_subset, overall, pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, Verdict
from tarsier_eval.scoring.random_fallback import random_choice
from tarsier_eval.scoring.types import ScoreContext

DRAWS = ("sample", "sequence")


@SCORERS.register("longvideobench_accuracy")
class LongVideoBenchAccuracy(ParsedAnswerScorer):
    default_parser = "longvideobench_letter"
    options: ClassVar[dict[str, Any]] = {"random_fallback": True, "random_draws": "sample"}
    metrics = (accuracy_by(by_subset), accuracy_by(lambda s: f"category={s.meta['question_category']}"),
               accuracy_by(overall))  # fmt: skip

    def __init__(self) -> None:
        self._sequence: random.Random | None = None

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        verdict = super().score_sample(sample, response, ctx)
        if verdict.parsed_ok or not ctx.option("random_fallback"):
            return verdict
        choices = [option_label(i) for i in range(len(sample.options or []))]
        if ctx.option("random_draws") not in DRAWS:
            raise ConfigError(f"score option random_draws must be one of {DRAWS}, got {ctx.option('random_draws')!r}")
        if ctx.option("random_draws") == "sample":
            return random_choice(sample, choices, ctx)
        if self._sequence is None:
            self._sequence = random.Random(ctx.seed)
        drawn = self._sequence.choice(choices)
        return Verdict(drawn, float(drawn == sample.answer), {"method": "random", "random_letter": drawn}, False)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        n_random = sum(r.detail.get("method") == "random" for _, r in rows)
        result.metrics["overall"]["random_fallback_rate"] = pct(n_random / len(rows)) if rows else None
        draws = "in sample order from one generator" if ctx.option("random_draws") == "sequence" else "per sample"
        result.notes.append(f"{n_random} of {len(rows)} replies unparsable: random letter (seed {ctx.seed}, {draws})")
        return result
