"""MLVU dev multiple choice: per-task accuracy and M-Avg, as `evaluation/multiple_choice_evaluation/choice_bench.py`.

Parser `mlvu_check_ans` (the official check_ans on the stripped reply). M-Avg = unweighted mean of the 7 task
accuracies; `accuracy_micro` is reported too. The two findNeedle questions whose answer is not a candidate (gold
"@") are wrong, as officially; option `skip_unscorable: true` leaves them out instead. A missing prediction is
wrong.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct, pct_by_group
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, Verdict
from tarsier_eval.scoring.types import ScoreContext


def _skipped(sample: Sample, ctx: ScoreContext) -> bool:
    return not sample.meta.get("gold_in_candidates", True) and bool(ctx.option("skip_unscorable"))


@SCORERS.register("mlvu_m_avg")
class MLVUAccuracy(ParsedAnswerScorer):
    default_parser = "mlvu_check_ans"
    options: ClassVar[dict[str, Any]] = {"skip_unscorable": False}

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        verdict = super().score_sample(sample, response, ctx)
        if not sample.meta.get("gold_in_candidates", True):
            verdict.detail["unscorable"] = True
            verdict.score = None if _skipped(sample, ctx) else verdict.score
        return verdict

    def status_score(self, status: str, rule: str, sample: Sample, ctx: ScoreContext) -> float | None:
        return None if _skipped(sample, ctx) else super().status_score(status, rule, sample, ctx)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        per_task = pct_by_group((r.subset, r.score) for _, r in rows)
        metrics: dict[str, dict[str, float | None]] = {name: {"accuracy": v} for name, v in per_task.items()}
        counted = [r.score for _, r in rows if r.score is not None]
        metrics["overall"] = {"m_avg": mean(v for v in per_task.values() if v is not None),
                              "accuracy_micro": pct(mean(counted))}  # fmt: skip
        n_bad = sum(not s.meta.get("gold_in_candidates", True) for s, _ in rows)
        rule = "left out" if ctx.option("skip_unscorable") else "counted wrong (official: gold '(@)')"
        notes = [
            f"M-Avg = mean of {len(per_task)} task accuracies; {n_bad} questions with gold not a candidate: {rule}"
        ]
        return Aggregate(metrics, notes)
