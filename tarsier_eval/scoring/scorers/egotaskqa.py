"""EgoTaskQA accuracy per reasoning type, on the open-answer form (official) or the MCQ form (lmms-eval).

Parser `egotaskqa`: open answers by the official encoder's exact match over the train answer vocabulary
(`normalize: vocabulary`; `lenient` and `strict` are the harness's looser readings), MCQ replies by their letter
(lmms-eval extraction). The baselines classify over the answer vocabulary and count pred == label
(baselines/utils/utils.py ReasongingTypeAccCalculator). Each question counts under EVERY tag of its
`reasoning_type` ("$"-split), as the official calculator does, and under "open" / "binary" / "mcq".
An empty reply is "unparsed" and wrong; questions without a prediction or with an inference error count wrong.
Metrics: "overall" accuracy over all questions (percent), per subset and "type=<tag>"; beside `overall/accuracy`,
the same number under a name that says what was scored, so that numbers of different variants are never compared:
`exact_match_direct` / `exact_match_indirect` (open answers of that split; the paper's column is
`exact_match_direct`) or `mcq_accuracy` (the MCQ re-formulation, which has no official split).
"""

from __future__ import annotations

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import pct_by_group
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row
from tarsier_eval.scoring.types import ScoreContext


def variant_metric(rows: list[Row]) -> str | None:
    """`exact_match_<split>` for open answers, `mcq_accuracy` for the MCQ form, None for a mix (or nothing)."""
    names = {"mcq_accuracy" if s.meta["form"] == "mcq" else f"exact_match_{s.meta['split']}" for s, _ in rows}
    return names.pop() if len(names) == 1 else None


@SCORERS.register("egotaskqa_accuracy")
class EgoTaskQAAccuracy(ParsedAnswerScorer):
    default_parser = "egotaskqa"

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        pairs = [(key, r.score) for s, r in rows
                 for key in ("overall", s.subset, *(f"type={t}" for t in s.meta.get("reasoning_types", [])))]  # fmt: skip
        metrics = {name: {"accuracy": value} for name, value in pct_by_group(pairs).items()}
        name = variant_metric(rows)
        if name is not None:
            metrics.setdefault("overall", {"accuracy": None})[name] = metrics["overall"]["accuracy"]
        normalize = ctx.parser_options.get("normalize", "vocabulary")
        notes = [f"scored: {name or 'a mix of variants'}; open answers matched by normalize={normalize}"]
        outside = sum(bool(r.detail.get("reference_outside_vocabulary")) for _, r in rows)
        if outside:
            notes.append(f"{outside} answered questions have a reference answer outside the train answer vocabulary "
                         "(official label <UNK1>): never correct under the official rule")  # fmt: skip
        raised = [r.sample_id for _, r in rows if r.detail.get("official_encoder_raises")]
        if raised:
            notes.append(f"{len(raised)} replies ({', '.join(raised[:3])}) make the official encoder raise "
                         "(<UNK0>/<UNK1>): counted wrong here")  # fmt: skip
        return Aggregate(metrics, notes, extra={"normalize": normalize, "variant": name})
