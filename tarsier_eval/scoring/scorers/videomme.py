"""Video-MME accuracy as the official `eval_your_results.py` computes it.

Official behaviour (the default policy): a reply from which no letter is extracted (parser `videomme_letter`)
is left out of the denominator, and so is a question without a prediction (the official script with
`skip_missing`). Accuracy is micro over the questions that count: overall, per duration (short/medium/long, the
sample subset), per domain, sub-category and task type.
lmms-eval counts unparsed and missing answers as wrong (`missing: wrong, error: wrong, unparsed: wrong`). Both
overall numbers are always reported: `accuracy_official` (answered questions only) and `accuracy_strict` (every
question); `accuracy` follows the policy.
"""

from __future__ import annotations

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import accuracy_by, by_subset, mean, pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, StatusPolicy, Table
from tarsier_eval.scoring.types import ScoreContext

GROUPS = ("domain", "sub_category", "task_type")


def _overall(rows: list[Row], ctx: ScoreContext) -> Table:
    results = [r for _, r in rows]
    answered = [r for r in results if r.status == "ok"]
    counted = [r.score for r in results if r.score is not None]
    return {"overall": {
        "accuracy": pct(mean(counted)),
        "accuracy_official": pct(mean(r.score for r in answered if r.score is not None)),
        "accuracy_strict": pct(mean([r.score or 0.0 for r in answered] + [0.0] * (len(results) - len(answered)))),
        "answered_rate": pct(len(answered) / len(results)) if results else None,
    }}  # fmt: skip


@SCORERS.register("videomme_accuracy")
class VideoMMEAccuracy(ParsedAnswerScorer):
    default_parser = "videomme_letter"
    policy = StatusPolicy(missing="exclude", error="exclude", unparsed="exclude")
    metrics = (
        accuracy_by(by_subset),
        *(accuracy_by(lambda s, key=key: f"{key}={s.meta[key]}") for key in GROUPS),
        _overall,
    )

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        n_answered = sum(r.status == "ok" for _, r in rows)
        result.notes.append(f"accuracy: micro over the questions that count; {n_answered} of {len(rows)} answered")
        return result
