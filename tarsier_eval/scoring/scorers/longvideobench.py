"""LongVideoBench (val) accuracy as lmms-eval `longvideobench_val_v` scores it.

An unparsable reply (parser `longvideobench_letter`) gets a random valid letter, as the official code does; here
the draw is reproducible (scoring/random_fallback.py) and the rate of random fallbacks is reported
(`random_fallback_rate`; such samples are "unparsed" and count with the drawn letter). Option
`random_fallback: false` counts those replies wrong instead. A missing prediction is wrong (no draw).
Accuracy: micro over all questions, per duration group (the subset) and per question category.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tarsier_eval.data.options import option_label
from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import accuracy_by, by_subset, overall, pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, Verdict
from tarsier_eval.scoring.random_fallback import random_choice
from tarsier_eval.scoring.types import ScoreContext


@SCORERS.register("longvideobench_accuracy")
class LongVideoBenchAccuracy(ParsedAnswerScorer):
    default_parser = "longvideobench_letter"
    options: ClassVar[dict[str, Any]] = {"random_fallback": True}
    metrics = (accuracy_by(by_subset), accuracy_by(lambda s: f"category={s.meta['question_category']}"),
               accuracy_by(overall))  # fmt: skip

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        verdict = super().score_sample(sample, response, ctx)
        if verdict.parsed_ok or not ctx.option("random_fallback"):
            return verdict
        return random_choice(sample, [option_label(i) for i in range(len(sample.options or []))], ctx)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        n_random = sum(r.detail.get("method") == "random" for _, r in rows)
        result.metrics["overall"]["random_fallback_rate"] = pct(n_random / len(rows)) if rows else None
        result.notes.append(f"{n_random} of {len(rows)} replies unparsable: random letter (seed {ctx.seed})")
        return result
