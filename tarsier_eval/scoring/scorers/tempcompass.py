"""TempCompass accuracy per task format and temporal aspect, as llyx97/TempCompass scores it.

Formats: multi-choice, yes_no, caption_matching (parser `tempcompass_rules`: the official rule-based match first,
then the ChatGPT rating prompt of judge `tempcompass_eval` when the rules fail) and captioning (always judged: the
judge answers the first multi-choice question of the same video and aspect from the generated caption). Per
format: `accuracy` = sum of ratings / questions (micro, the official `avg`), one accuracy per aspect (action,
speed, direction, order, attribute_change) and per fine-grained aspect (`fine:<type>`), and the rule
`match_success_rate`. Overall: mc, yn, cm, cg and their mean `avg` (headline `mc`).

Without a judge: replies the rules cannot match are "unjudged" (listed in `extra["unjudged"]`) and rated 0 as the
official `--disable_llm` does (policy `unjudged: wrong`; `unjudged: exclude` leaves them out). Captioning has no
rule part, so without a judge its accuracy is None.
Official quirks kept: a failed judge call rates 0 for the rating prompts but -1 for captioning (an empty or failed
captioning reply subtracts from the sum; option `caption_failed_rating` changes it). A sample without a prediction
is in no denominator, accuracy or match rate (policy `missing: exclude`: the official scripts only see the
predictions file's entries); a None prediction (inference error) rates 0 as the official "refused" branch.
Protocol `lmms-eval`: a failed captioning judgement counts 0 and a missing reply counts wrong (every doc counts).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.judges.prompts import load_judge_spec, load_prompt
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Table, Verdict
from tarsier_eval.scoring.parsers.tempcompass import captioning_rating, rating_from_judge
from tarsier_eval.scoring.types import ScoreContext

JUDGE = "tempcompass_eval"
SHORT = {"multi-choice": "mc", "yes_no": "yn", "caption_matching": "cm", "captioning": "cg"}
KIND = {"multi-choice": "Multi-Choice", "yes_no": "Yes/No", "caption_matching": "Caption Matching"}


def _request(sample: Sample, pred: str, judge_spec: dict[str, Any]) -> JudgeRequest:
    fmt = sample.meta["format"]
    base = load_prompt(judge_spec["prompts"][fmt])
    if fmt == "captioning":
        user = f"{base}\nVideo Description:{pred}\nMulti-Choice Question:\n{sample.meta['mc_question']}\n"
        parse = str
    else:
        user = (
            f"{base}\n{KIND[fmt]} Question:\n{sample.meta['question']}\n"
            f"Ground-Truth Answer: {sample.answer}\nModel Prediction: {pred}"
        )
        parse = rating_from_judge
    messages = [{"role": "system", "content": judge_spec["system"]}, {"role": "user", "content": user}]
    return JudgeRequest(f"{JUDGE}/{sample.sample_id}", messages, dict(judge_spec.get("params", {})), parse)


class RatingJudge(JudgedStage):
    desc = "tempcompass judge"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        return [] if verdict.parsed_ok else [_request(sample, verdict.parsed, load_judge_spec(JUDGE))]

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        outcome = outcomes[0]
        if sample.meta["format"] == "captioning":
            rating = captioning_rating(outcome.value, sample.meta["mc_answer"])
            rating = ctx.option("caption_failed_rating") if rating == -1 else rating
        else:
            rating = outcome.value
        return Verdict(None, float(rating), {"match_success": False, "judge_reply": outcome.text})


def _metrics(rows: list[Row], ctx: ScoreContext) -> Table:
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    matched: dict[str, list[float]] = defaultdict(list)
    unjudged: dict[str, int] = defaultdict(int)
    for s, r in rows:
        fmt = s.meta["format"]
        if r.status == "missing" and r.score is None:  # not in the official results file at all
            matched.setdefault(fmt, [])
            continue
        matched[fmt].append(float(bool(r.detail.get("match_success"))))
        unjudged[fmt] += r.status == "unjudged"
        if r.score is None:
            continue
        for key in ("accuracy", s.meta["dim"], f"fine:{s.meta['fine_aspect']}"):
            groups[fmt][key].append(r.score)
    metrics: Table = {}
    overall: dict[str, float | None] = {}
    for fmt, short in SHORT.items():
        if fmt not in matched:
            continue
        table: dict[str, float | None] = {"accuracy": pct(mean(groups[fmt]["accuracy"]))}
        table.update({k: pct(mean(v)) for k, v in groups[fmt].items() if k != "accuracy"})
        table["match_success_rate"] = pct(mean(matched[fmt]))
        table["n_unjudged"] = float(unjudged[fmt])
        metrics[fmt] = table
        overall[short] = table["accuracy"]
    values = [overall.get(short) for short in SHORT.values()]
    overall["avg"] = mean(v for v in values if v is not None) if all(v is not None for v in values) else None
    metrics["overall"] = overall
    return metrics


@SCORERS.register("tempcompass_accuracy")
class TempCompassAccuracy(Scorer):
    default_parser = "tempcompass_rules"
    policy = StatusPolicy(missing="exclude", unjudged="wrong", judge_failed="wrong")
    options: ClassVar[dict[str, Any]] = {"caption_failed_rating": -1}
    judged = RatingJudge()
    metrics = (_metrics,)

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        parsed = ctx.parse(response, sample)
        if not parsed.ok:
            return Verdict(parsed.value, None, {"match_success": False}, parsed_ok=False)
        return Verdict(parsed.value, float(parsed.matches(sample.answer)), {"match_success": True})

    def status_score(self, status: str, rule: str, sample: Sample, ctx: ScoreContext) -> float | None:
        """Captioning has no rule-based rating: unjudged it is left out; a failed captioning call rates -1."""
        if sample.meta["format"] == "captioning" and status == "unjudged":
            return None
        if sample.meta["format"] == "captioning" and status == "judge_failed" and rule == "wrong":
            return float(ctx.option("caption_failed_rating"))
        return super().status_score(status, rule, sample, ctx)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        unjudged = [r.sample_id for _, r in rows if r.status == "unjudged"]
        result.notes.append("per-format accuracy = sum of ratings / questions (official avg, not rounded here)")
        if unjudged:
            result.extra["unjudged"] = unjudged
        return result
