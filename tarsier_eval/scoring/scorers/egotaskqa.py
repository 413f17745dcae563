"""EgoTaskQA accuracy per reasoning type, on the open-answer form (official) or the MCQ form (lmms-eval).

Parser `egotaskqa`: open answers are compared as the class the reply would name (`normalize: official`: stripped,
lower-cased, one trailing period dropped, equal to the lower-cased GT; `normalize: strict`: stripped strings as
they are); MCQ replies by their letter (lmms-eval extraction). The baselines classify over the answer vocabulary
and count pred == label (baselines/utils/utils.py ReasongingTypeAccCalculator). Each question counts under EVERY
tag of its `reasoning_type` ("$"-split), as the official calculator does, and under "open" / "binary" / "mcq".
An empty reply is "unparsed" and wrong; questions without a prediction or with an inference error count wrong.
Metrics: "overall" accuracy over all questions (percent), per subset and "type=<tag>".
"""

from __future__ import annotations

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import pct_by_group
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row
from tarsier_eval.scoring.types import ScoreContext


@SCORERS.register("egotaskqa_accuracy")
class EgoTaskQAAccuracy(ParsedAnswerScorer):
    default_parser = "egotaskqa"

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        pairs = [(key, r.score) for s, r in rows
                 for key in ("overall", s.subset, *(f"type={t}" for t in s.meta.get("reasoning_types", [])))]  # fmt: skip
        metrics = {name: {"accuracy": value} for name, value in pct_by_group(pairs).items()}
        return Aggregate(metrics, extra={"normalize": ctx.parser_options.get("normalize", "official")})
