"""Multiple-choice accuracy in the MVBench family (MVBench, TVBench, the demo task).

The task's parser decides correctness: `mvbench_check_ans` (the official MVBench/TVBench notebook rule on "(" +
the first reply line; parser option `empty_is_wrong` fixes its quirk that an empty reply matches every option),
`choice_letter` (robust letter extraction), `tarsier_first_char` (the Tarsier team's AccuracyMetric) or an lmms-eval
rule (`lmms_mvbench_mcq_acc`, `lmms_tvbench_letter`). A reply that names no option is "unparsed"; it counts with the
parser's verdict by default, and `unparsed: exclude` leaves it out of the denominator (Tarsier's rule).
Option `exclude_empty`: a reply that is exactly "" is left out of the denominator (lmms-eval's MVBench aggregation;
" " still counts).
Option `average`: which overall number is the headline `accuracy`: `micro` (the notebook's "Total Acc") or `macro`
(mean of subset accuracies). Both are always reported as accuracy_micro / accuracy_macro.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import micro_macro
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, Verdict
from tarsier_eval.scoring.types import ScoreContext


@SCORERS.register("mcq_accuracy")
class MCQAccuracy(ParsedAnswerScorer):
    default_parser = "mvbench_check_ans"
    options: ClassVar[dict[str, Any]] = {"average": "micro", "exclude_empty": False}

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        verdict = super().score_sample(sample, response, ctx)
        if response == "" and ctx.option("exclude_empty"):
            verdict.score, verdict.detail["empty_reply"] = None, "left out"
        return verdict

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        metrics = micro_macro([r for _, r in rows])
        average = ctx.option("average")
        metrics["overall"]["accuracy"] = metrics["overall"][f"accuracy_{average}"]
        notes = [f"overall accuracy = {average} average over the {sum(r.score is not None for _, r in rows)} of "
                 f"{len(rows)} samples that count"]  # fmt: skip
        return Aggregate(metrics, notes)
