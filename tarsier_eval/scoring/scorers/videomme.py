"""Video-MME accuracy as the official `eval_your_results.py` (thanku-all/parse_answer) computes it.

Official behaviour (the default policy): a reply from which no letter is extracted (parser `videomme_letter`)
is left out of the denominator, and so is a question without a prediction (the official script with
`skip_missing`). Accuracy is micro over the questions that count: overall, per duration (short/medium/long, the
sample subset), per domain, sub-category and task type, and per duration x domain / sub-category / task type
(`short/domain=Knowledge`, ..., all printed by the script). A group whose questions all went unanswered is 0.0, as
the script prints it (`... if answered > 0 else 0`); a note names such groups.
lmms-eval counts unparsed and missing answers as wrong (`missing: wrong, error: wrong, unparsed: wrong`). Both
overall numbers are always reported: `accuracy_official` (answered questions only) and `accuracy_strict` (every
question); `accuracy` follows the policy.
Option `invalid_drops_video` (the Tarsier team's VideoMMEAccuracyMetric): one invalid reply (unparsed or failed)
leaves EVERY question of its video out of the denominator.
With subtitles (loader option `subtitles: true`, the "w/ subs" setting) every metric name gets the suffix `_subs`
(headline `accuracy_subs`), so a w/ subs number is never read as the paper's "w/o subs" column.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, StatusPolicy, Table
from tarsier_eval.scoring.types import ScoreContext

GROUPS = ("domain", "sub_category", "task_type")


def _group_names(sample: Sample) -> list[str]:
    """Every group the official script reports this question in (besides the overall)."""
    duration = sample.subset
    by_key = [f"{key}={sample.meta[key]}" for key in GROUPS]
    return [duration, *by_key, *(f"{duration}/{name}" for name in by_key)]


def _official_table(rows: list[Row]) -> tuple[Table, list[str]]:
    """{group: {"accuracy": %}} with 0.0 for a group without a counted question, and the names of those groups."""
    groups: dict[str, list[float]] = {}
    for sample, result in rows:
        for name in ("overall", *_group_names(sample)):
            bucket = groups.setdefault(name, [])
            if result.score is not None:
                bucket.append(result.score)
    empty = [name for name, scores in groups.items() if not scores]
    return {name: {"accuracy": pct(mean(scores)) if scores else 0.0} for name, scores in groups.items()}, empty


def _overall_extra(rows: list[Row]) -> dict[str, float | None]:
    results = [r for _, r in rows]
    answered = [r for r in results if r.status == "ok"]
    return {
        "accuracy_official": pct(mean(r.score for r in answered if r.score is not None)),
        "accuracy_strict": pct(mean([r.score or 0.0 for r in answered] + [0.0] * (len(results) - len(answered)))),
        "answered_rate": pct(len(answered) / len(results)) if results else None,
    }


def _suffixed(table: Table, suffix: str) -> Table:
    return {subset: {f"{name}{suffix}": v for name, v in values.items()} for subset, values in table.items()}


@SCORERS.register("videomme_accuracy")
class VideoMMEAccuracy(ParsedAnswerScorer):
    default_parser = "videomme_letter"
    policy = StatusPolicy(missing="exclude", error="exclude", unparsed="exclude")
    options: ClassVar[dict[str, Any]] = {"invalid_drops_video": False}

    def settle(self, rows: list[Row], ctx: ScoreContext) -> None:
        if not ctx.option("invalid_drops_video"):
            return
        invalid = {s.meta["video_id"] for s, r in rows if r.status in ("unparsed", "error")}
        for sample, result in rows:
            if sample.meta["video_id"] in invalid:
                result.score = None
                result.detail["video_dropped"] = "a reply of this video is invalid"

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        metrics, empty = _official_table(rows)
        metrics["overall"].update(_overall_extra(rows))
        n_answered = sum(r.status == "ok" for _, r in rows)
        notes = [f"accuracy: micro over the questions that count; {n_answered} of {len(rows)} answered"]
        if empty:
            notes.append(f"{len(empty)} groups have no counted question and show 0.0, as the official script prints "
                         f"them: {', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''}")  # fmt: skip
        if ctx.option("invalid_drops_video"):
            dropped = sum("video_dropped" in r.detail for _, r in rows)
            notes.append(f"{dropped} questions left out: their video has an invalid reply (Tarsier's rule)")
        if any(s.meta.get("with_subtitles") for s, _ in rows):
            notes.append("w/ subs setting (loader option subtitles): every metric is named *_subs")
            return Aggregate(_suffixed(metrics, "_subs"), notes, headline="accuracy_subs")
        return Aggregate(metrics, notes)
