"""DREAM-1K AutoDQ: event recall / precision / F1 judged by an LLM, aggregated as evaluate_dream_gpt.py does.

Per clip (official, bytedance/tarsier evaluation/metrics/evaluate_dream_gpt.py; prompts and reply parsing in
tarsier_eval/judges/autodq.py):
- GT events are `extra_info.events` (extracted from the GT description by the judge only when absent); the
  prediction's events are extracted by the judge.
- recall r = share of GT events the judge says the prediction entails; precision p = share of predicted events
  the GT description entails. Only "entailment" counts; an empty event list scores 1.0.
- A clip whose judging fails after the retries is invalid in the official script and left out of every mean:
  here it is `judge_failed` (score None), counted in scores.json and asked again by the next run.
Aggregation (official): per subset R = mean r, P = mean p, F1 = 2RP/(R+P) (F1 of the means, not the mean of
per-clip F1); overall R and P = mean of the subset R's and P's, overall F1 from those. Buckets by n_subjects,
n_shots (<=1, ==2, ==3, >=4) and n_events (<=3, 4-5, 6-7, >=8) over all valid clips go to `extra["buckets"]`.
Where R + P = 0 the official F1 is NaN (0/0 in numpy); it is reported as None here.
A clip without a prediction is not in the official prediction file and so in no mean: status "missing", left
out (`missing: zero` counts it as r = p = 0 instead). A per-clip F1 is stored as the sample's score for
inspection only.
Options: `parse: official|lenient` (lenient also reads JSON found anywhere in the reply, see autodq.py),
`precision_counts_neutral: false` (true: "neutral" counts for precision, the official code's unused
is_recall=False branch), `missing: exclude|zero`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges import autodq
from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.judges.chain import run_with_followups
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct
from tarsier_eval.scoring.types import Prediction, SampleResult, ScoreContext, TaskScores
from tarsier_eval.task import TaskSpec

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


def f1_of(r: float | None, p: float | None) -> float | None:
    if r is None or p is None or r + p == 0:
        return None
    return 2 * r * p / (r + p)


def _rpf(rs: list[float], ps: list[float]) -> dict[str, float | None]:
    r, p = mean(rs), mean(ps)
    return {"f1": pct(f1_of(r, p)), "precision": pct(p), "recall": pct(r)}


class _Plan:
    """The judge requests of one clip and, once run, their outcomes."""

    def __init__(self, sample: Sample, prediction: str, lenient: bool, count_neutral: bool):
        self.sample = sample
        self.prediction = prediction
        self.lenient = lenient
        self.count_neutral = count_neutral
        self.outcomes: dict[str, JudgeOutcome] = {}

    def key(self, step: str) -> str:
        return f"{self.sample.sample_id}#{step}"

    def stage1(self) -> list[JudgeRequest]:
        reqs = [autodq.extraction_request(self.key("extract_pred"), self.prediction, lenient=self.lenient)]
        gt_events = self.sample.meta.get("events")
        if isinstance(gt_events, list):
            reqs.append(self._recall(gt_events))
        else:
            reqs.append(autodq.extraction_request(self.key("extract_gt"), self.sample.answer, lenient=self.lenient))
        return reqs

    def _recall(self, gt_events: list[Any]) -> JudgeRequest:
        return autodq.entailment_request(
            self.key("recall"), gt_events, self.prediction, self.sample.answer, lenient=self.lenient
        )

    def stage2(self, step: str, done: JudgeOutcome) -> list[JudgeRequest]:
        """What `step`'s successful outcome makes possible: precision after extract_pred, recall after extract_gt."""
        if step == "extract_pred":
            return [
                autodq.entailment_request(
                    self.key("precision"),
                    done.value,
                    self.sample.answer,
                    self.prediction,
                    lenient=self.lenient,
                    count_neutral=self.count_neutral,
                )
            ]
        return [self._recall(done.value)] if step == "extract_gt" else []

    def chained(self, req: JudgeRequest) -> JudgeRequest:
        """`req` with its stage-2 requests as follow-ups (asked as soon as it returns: no barrier between stages)."""
        step = req.key.rsplit("#", 1)[1]
        return replace(req, then=lambda outcome: self.stage2(step, outcome))

    def result(self) -> SampleResult:
        s = self.sample
        for step in ("extract_pred", "extract_gt", "recall", "precision"):
            o = self.outcomes.get(step)
            if o is not None and not o.ok:
                return SampleResult(s.sample_id, s.subset, "judge_failed", error=f"{step}: {o.error}")
        recall, precision = self.outcomes["recall"].value, self.outcomes["precision"].value
        r, p = recall["score"], precision["score"]
        detail = {
            "recall": r,
            "precision": p,
            "hit_recall": f"{recall['hits']} / {recall['n']}",
            "hit_precision": f"{precision['hits']} / {precision['n']}",
            "pred_events": self.outcomes["extract_pred"].value,
            "labels_recall": recall["labels"],
            "labels_precision": precision["labels"],
        }
        return SampleResult(s.sample_id, s.subset, "ok", parsed=detail["pred_events"], score=f1_of(r, p) or 0.0,
                            detail=detail)  # fmt: skip


def _subset_order(samples: list[Sample]) -> list[str]:
    """Subsets in the official order: sorted by the annotation's `dataset` name."""
    names: dict[str, str] = {}
    for s in samples:
        names.setdefault(s.subset, str(s.meta.get("dataset", s.subset)))
    return sorted(names, key=lambda k: names[k])


@SCORERS.register("autodq")
def score_autodq(spec: TaskSpec, samples: list[Sample], predictions: dict[str, Prediction], ctx: ScoreContext):
    parse_mode = ctx.option("parse", "official")
    missing_mode = ctx.option("missing", "exclude")
    if parse_mode not in ("official", "lenient") or missing_mode not in ("exclude", "zero"):
        raise ConfigError(f"autodq: parse must be official|lenient and missing exclude|zero ({spec.path})")
    lenient = parse_mode == "lenient"
    count_neutral = bool(ctx.option("precision_counts_neutral", False))

    results: dict[str, SampleResult] = {}
    plans: list[_Plan] = []
    for s in samples:
        pred = predictions.get(s.sample_id)
        if pred is None or (pred.response is None and pred.error is None):
            zero = missing_mode == "zero"
            detail = {"recall": 0.0, "precision": 0.0} if zero else {}
            results[s.sample_id] = SampleResult(s.sample_id, s.subset, "missing", score=0.0 if zero else None,
                                                detail=detail)  # fmt: skip
        elif pred.response is None:
            results[s.sample_id] = SampleResult(s.sample_id, s.subset, "error", error=pred.error)
        elif ctx.judge is None:
            results[s.sample_id] = SampleResult(s.sample_id, s.subset, "unjudged")
        else:
            plans.append(_Plan(s, pred.response, lenient, count_neutral))

    if plans:
        by_id = {plan.sample.sample_id: plan for plan in plans}
        requests = [plan.chained(req) for plan in plans for req in plan.stage1()]
        for _, outcome in run_with_followups(ctx.judge, requests, f"{spec.name} AutoDQ"):
            sample_id, step = outcome.key.rsplit("#", 1)
            by_id[sample_id].outcomes[step] = outcome
        for plan in plans:
            results[plan.sample.sample_id] = plan.result()

    ordered = [results[s.sample_id] for s in samples]
    counted = [(s, r) for s, r in zip(samples, ordered, strict=True) if r.score is not None]
    metrics: dict[str, dict[str, float | None]] = {}
    subset_r, subset_p = [], []
    for subset in _subset_order(samples):
        rs = [r.detail["recall"] for s, r in counted if s.subset == subset]
        ps = [r.detail["precision"] for s, r in counted if s.subset == subset]
        metrics[subset] = _rpf(rs, ps)
        if rs:
            subset_r.append(mean(rs))
            subset_p.append(mean(ps))
    metrics["overall"] = _rpf(subset_r, subset_p)  # type: ignore[arg-type]

    buckets: dict[str, dict[str, Any]] = {}
    for name, (field, rules) in BUCKETS.items():
        buckets[name] = {}
        for label, rule in rules.items():
            members = [r for s, r in counted if isinstance(s.meta.get(field), int) and rule(s.meta[field])]
            entry = _rpf([r.detail["recall"] for r in members], [r.detail["precision"] for r in members])
            buckets[name][label] = {**entry, "n": len(members)}

    notes = []
    n = {k: sum(r.status == k for r in ordered) for k in ("unjudged", "judge_failed", "missing", "error")}
    if n["unjudged"]:
        notes.append(
            f"{n['unjudged']} clips unjudged: AutoDQ needs an LLM judge (--judge-base-url/--judge-model; "
            f"official judge {autodq.load_judge_spec(autodq.JUDGE)['official_model']})"
        )
    if n["judge_failed"]:
        notes.append(f"{n['judge_failed']} clips judge_failed (left out, as the official script does); rerun to retry")
    if n["missing"] or n["error"]:
        how = "counted as r = p = 0" if missing_mode == "zero" else "left out, as the official script does"
        notes.append(f"{n['missing']} clips without prediction and {n['error']} with an inference error: {how}")
    extra: dict[str, Any] = {"buckets": buckets, "parse": parse_mode}
    if ctx.judge is not None:
        extra["judge_model"] = ctx.judge.model
    return TaskScores(spec.name, spec.headline, metrics, ordered, notes, extra)
