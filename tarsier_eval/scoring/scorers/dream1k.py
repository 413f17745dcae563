"""DREAM-1K AutoDQ: event recall / precision / F1 judged by an LLM, aggregated as evaluate_dream_gpt.py does.

Per clip (official, bytedance/tarsier evaluation/metrics/evaluate_dream_gpt.py; prompts and reply parsing in
tarsier_eval/judges/autodq.py):
- GT events are `extra_info.events` (extracted from the GT description by the judge only when absent); the
  prediction's events are extracted by the judge.
- recall r = share of GT events the judge says the prediction entails; precision p = share of predicted events
  the GT description entails. Only "entailment" counts; an empty event list scores 1.0.
- A clip whose judging fails after the retries is invalid in the official script and left out of every mean:
  here it is `judge_failed` (score None), counted in scores.json and asked again by the next run.
- Judge requests, one after the other per clip as the official `process_one_sample` makes them (clips run
  concurrently): the GT events' extraction (only when the annotation has none), the prediction's events'
  extraction, the recall entailment, the precision entailment; a step that fails ends the clip's requests.
Aggregation (official): per subset R = mean r, P = mean p, F1 = 2RP/(R+P) (F1 of the means, not the mean of
per-clip F1); overall R and P = mean of the subset R's and P's, overall F1 from those. Buckets by n_subjects,
n_shots (<=1, ==2, ==3, >=4) and n_events (<=3, 4-5, 6-7, >=8) over all valid clips go to `extra["buckets"]`.
Where R + P = 0 the official F1 is NaN (0/0 in numpy); it is reported as None here.
A clip without a prediction is not in the official prediction file and so in no mean: status "missing", left
out (policy `missing: exclude`; `missing: wrong` counts it as r = p = 0 instead); an inference error likewise.
A per-clip F1 is stored as the sample's score for inspection only.
Options: `parse: official|lenient` (lenient also reads JSON found anywhere in the reply, see autodq.py),
`precision_counts_neutral: false` (true: "neutral" counts for precision, the official code's unused
is_recall=False branch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges import autodq
from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Verdict
from tarsier_eval.scoring.types import ScoreContext

BUCKETS: dict[str, tuple[str, dict[str, Callable[[int], bool]]]] = {
    "subjects": (
        "n_subjects",
        {"<=1": lambda n: n <= 1, "==2": lambda n: n == 2, "==3": lambda n: n == 3, ">=4": lambda n: n >= 4},
    ),
    "shots": (
        "n_shots",
        {"<=1": lambda n: n <= 1, "==2": lambda n: n == 2, "==3": lambda n: n == 3, ">=4": lambda n: n >= 4},
    ),
    "events": (
        "n_events",
        {"<=3": lambda n: n <= 3, "in [4, 5]": lambda n: n in (4, 5), "in [6, 7]": lambda n: n in (6, 7),
         ">=8": lambda n: n >= 8},
    ),
}  # fmt: skip
PARSE_MODES = ("official", "lenient")


def f1_of(r: float | None, p: float | None) -> float | None:
    if r is None or p is None or r + p == 0:
        return None
    return 2 * r * p / (r + p)


def _rpf(rs: list[float], ps: list[float]) -> dict[str, float | None]:
    r, p = mean(rs), mean(ps)
    return {"f1": pct(f1_of(r, p)), "precision": pct(p), "recall": pct(r)}


def _then(request: JudgeRequest, follow: Callable[[JudgeOutcome], JudgeRequest]) -> JudgeRequest:
    request.then = lambda outcome: [follow(outcome)]
    return request


class AutoDQJudge(JudgedStage):
    """Event extraction and entailment requests of one clip, chained by `then`."""

    desc = "dream1k autodq"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        lenient = ctx.option("parse") == "lenient"
        caption = sample.answer

        def key(step: str) -> str:
            return f"{sample.sample_id}#{step}"

        def recall(events: list[Any]) -> JudgeRequest:
            return autodq.entailment_request(key("recall"), events, response, caption, lenient=lenient)

        def precision(outcome: JudgeOutcome) -> JudgeRequest:
            return autodq.entailment_request(key("precision"), outcome.value, caption, response, lenient=lenient,
                                             count_neutral=bool(ctx.option("precision_counts_neutral")))  # fmt: skip

        def after_pred(pred: JudgeOutcome, gt_events: list[Any]) -> JudgeRequest:
            return _then(recall(gt_events), lambda _: precision(pred))

        extract_pred = autodq.extraction_request(key("extract_pred"), response, lenient=lenient)
        gt_events = sample.meta.get("events")
        if isinstance(gt_events, list):
            return [_then(extract_pred, lambda pred: after_pred(pred, gt_events))]
        extract_gt = autodq.extraction_request(key("extract_gt"), caption, lenient=lenient)
        return [_then(extract_gt, lambda gt: _then(extract_pred, lambda pred: after_pred(pred, gt.value)))]

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        by_step = {o.key.rsplit("#", 1)[1]: o for o in outcomes}
        recall, precision = by_step["recall"].value, by_step["precision"].value
        r, p = recall["score"], precision["score"]
        detail = {
            "recall": r,
            "precision": p,
            "hit_recall": f"{recall['hits']} / {recall['n']}",
            "hit_precision": f"{precision['hits']} / {precision['n']}",
            "pred_events": by_step["extract_pred"].value,
            "labels_recall": recall["labels"],
            "labels_precision": precision["labels"],
        }
        return Verdict(detail["pred_events"], f1_of(r, p) or 0.0, detail)


def _subset_order(rows: list[Row]) -> list[str]:
    """Subsets in the official order: sorted by the annotation's `dataset` name."""
    names: dict[str, str] = {}
    for s, _ in rows:
        names.setdefault(s.subset, str(s.meta.get("dataset", s.subset)))
    return sorted(names, key=lambda k: names[k])


def _rp(rows: list[Row]) -> tuple[list[float], list[float]]:
    """Recall and precision of each counted clip; a missing clip counted as wrong has r = p = 0."""
    return [r.detail.get("recall", 0.0) for _, r in rows], [r.detail.get("precision", 0.0) for _, r in rows]


def _buckets(counted: list[Row]) -> dict[str, dict[str, Any]]:
    buckets: dict[str, dict[str, Any]] = {}
    for name, (field, rules) in BUCKETS.items():
        buckets[name] = {}
        for label, rule in rules.items():
            members = [(s, r) for s, r in counted if isinstance(s.meta.get(field), int) and rule(s.meta[field])]
            buckets[name][label] = {**_rpf(*_rp(members)), "n": len(members)}
    return buckets


@SCORERS.register("autodq")
class AutoDQ(Scorer):
    policy = StatusPolicy(missing="exclude", error="exclude")
    options: ClassVar[dict[str, Any]] = {"parse": "official", "precision_counts_neutral": False}
    judged = AutoDQJudge()

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        if ctx.option("parse") not in PARSE_MODES:
            raise ConfigError(f"autodq: parse must be one of {PARSE_MODES}")
        return Verdict(None, None)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        counted = [(s, r) for s, r in rows if r.score is not None]
        metrics: dict[str, dict[str, float | None]] = {}
        subset_r, subset_p = [], []
        for subset in _subset_order(rows):
            rs, ps = _rp([(s, r) for s, r in counted if s.subset == subset])
            metrics[subset] = _rpf(rs, ps)
            if rs:
                subset_r.append(mean(rs))
                subset_p.append(mean(ps))
        metrics["overall"] = _rpf(subset_r, subset_p)  # type: ignore[arg-type]
        extra: dict[str, Any] = {"buckets": _buckets(counted), "parse": ctx.option("parse")}
        notes = []
        n_unjudged = sum(r.status == "unjudged" for _, r in rows)
        if n_unjudged:
            official = autodq.load_judge_spec(autodq.JUDGE)["official_model"]
            notes.append(f"{n_unjudged} clips unjudged: AutoDQ needs an LLM judge (official: {official})")
        if ctx.judge is not None:
            extra["judge_model"] = ctx.judge.model
        return Aggregate(metrics, notes, extra)
