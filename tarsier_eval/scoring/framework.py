"""The scorer framework: it owns every sample's status; a benchmark scorer parses and scores one answer.

A benchmark scorer is a `Scorer` subclass registered with `@SCORERS.register(name)`. It supplies
- `score_sample(sample, response, ctx) -> Verdict`: parse the reply (through `ctx.parse`, the task's parser) and
  score it; a verdict whose `parsed_ok` is False makes the sample "unparsed";
- optionally `judged`: a `JudgedStage` that turns a verdict into judge requests and the judge's answers into the
  final verdict;
- `metrics`: the aggregations (functions of the scored rows) whose tables are merged into `TaskScores.metrics`;
- optionally `settle`: a last pass over every scored row before aggregation, for an official rule that spans
  samples (Video-MME under the Tarsier team's code drops every question of a video with one invalid reply).

The framework decides everything else, the same way for every benchmark (tests/unit/test_sample_status.py):

| status       | when                                                    | score                               |
|--------------|---------------------------------------------------------|-------------------------------------|
| missing      | no prediction for the sample                            | policy `missing`                    |
| error        | the prediction failed (inference error, null response)  | policy `error`                      |
| unparsed     | `score_sample` could not read an answer                 | policy `unparsed`                   |
| unjudged     | the sample needs a judge and none is configured         | policy `unjudged`                   |
| judge_failed | a judge request failed after its retries                | policy `judge_failed`               |
| ok           | otherwise                                               | the verdict's score                 |

A policy is "wrong" (score `Scorer.wrong_score`, 0.0), "exclude" (score None: in no denominator), "count" (the
verdict's own score stands, e.g. a random fallback) or, for missing/error, "as_empty" (the sample is scored as
an empty reply, keeping its status). Each scorer declares its official `policy`; the options `missing`,
`error`, `unparsed`, `unjudged` and `judge_failed` (task YAML, protocol or `--score-options`) override it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.scoring.types import Prediction, SampleResult, ScoreContext, TaskScores
from tarsier_eval.task import TaskSpec

POLICY_VALUES = {
    "missing": ("wrong", "exclude", "as_empty"),
    "error": ("wrong", "exclude", "as_empty"),
    "unparsed": ("count", "wrong", "exclude"),
    "unjudged": ("wrong", "exclude"),
    "judge_failed": ("wrong", "exclude"),
}


@dataclass(frozen=True)
class StatusPolicy:
    """How samples without a usable answer count (see the module docstring)."""

    missing: str = "wrong"
    error: str = "wrong"
    unparsed: str = "count"
    unjudged: str = "exclude"
    judge_failed: str = "exclude"

    def with_options(self, options: dict[str, Any], where: str) -> StatusPolicy:
        """This policy with the status options in `options` applied; a bad value is a ConfigError."""
        chosen = {k: options[k] for k in POLICY_VALUES if k in options}
        for key, value in chosen.items():
            if value not in POLICY_VALUES[key]:
                raise ConfigError(f"{where}: score option {key} must be one of {POLICY_VALUES[key]}, got {value!r}")
        return replace(self, **chosen)


@dataclass
class Verdict:
    """A benchmark scorer's reading of one answered sample."""

    parsed: Any
    score: float | None
    detail: dict[str, Any] = field(default_factory=dict)
    parsed_ok: bool = True


Row = tuple[Sample, SampleResult]
Table = dict[str, dict[str, float | None]]
Metric = Callable[[list[Row], ScoreContext], Table]


@dataclass
class Aggregate:
    """What the aggregation adds to the scores: metric tables, notes for the reader, extra data, and the headline
    metric when the run's settings make it differ from the task's (e.g. Video-MME with subtitles)."""

    metrics: Table
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headline: str | None = None


class JudgedStage:
    """An LLM-judged step after `score_sample`: which requests a verdict needs and what their answers make of it."""

    desc: str = "judge"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        """The requests this sample's reply needs (none: the verdict stands)."""
        raise NotImplementedError

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        """The final verdict from the successful outcomes of this sample's requests (follow-ups included)."""
        raise NotImplementedError

    def fallback(self, sample: Sample, verdict: Verdict, error: str | None, ctx: ScoreContext) -> Verdict | None:
        """A verdict for a sample whose judging failed (`error`) or had no judge (None); None: the framework
        marks it judge_failed / unjudged."""
        return None


class Scorer:
    """Base class of benchmark scorers; see the module docstring."""

    policy: ClassVar[StatusPolicy] = StatusPolicy()
    options: ClassVar[dict[str, Any]] = {}
    default_parser: ClassVar[str | None] = None
    judged: ClassVar[JudgedStage | None] = None
    metrics: ClassVar[Sequence[Metric]] = ()
    wrong_score: ClassVar[float] = 0.0

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        raise NotImplementedError

    def status_score(self, status: str, rule: str, sample: Sample, ctx: ScoreContext) -> float | None:
        """The score of a sample given `status` under policy `rule` ("wrong" or "exclude")."""
        return self.wrong_score if rule == "wrong" else None

    def settle(self, rows: list[Row], ctx: ScoreContext) -> None:
        """Adjust the results of `rows` in place where the official rule looks across samples (default: nothing)."""

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        metrics: Table = {}
        for metric in self.metrics:
            for subset, values in metric(rows, ctx).items():
                metrics.setdefault(subset, {}).update(values)
        return Aggregate(metrics)


class ParsedAnswerScorer(Scorer):
    """A scorer whose sample score is the task's parser's verdict: 1.0 when the reply matches the gold, else 0.0."""

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        parsed = ctx.parse(response, sample)
        return Verdict(parsed.value, float(parsed.matches(sample.answer)), dict(parsed.detail), parsed.ok)


def _from_verdict(sample: Sample, verdict: Verdict, policy: StatusPolicy, scorer: Scorer, ctx: ScoreContext):
    status = "ok" if verdict.parsed_ok else "unparsed"
    score = verdict.score
    if status == "unparsed" and policy.unparsed != "count":
        score = scorer.status_score(status, policy.unparsed, sample, ctx)
    return SampleResult(sample.sample_id, sample.subset, status, verdict.parsed, score, dict(verdict.detail))


def _unanswered(sample: Sample, pred: Prediction | None, policy: StatusPolicy, scorer: Scorer, ctx: ScoreContext):
    """The result of a sample without a usable reply, or None when its policy scores it as an empty reply."""
    status = "missing" if pred is None else "error"
    rule = policy.missing if pred is None else policy.error
    error = "no prediction" if pred is None else (pred.error or "the prediction's response is null")
    if rule == "as_empty":
        result = _from_verdict(sample, scorer.score_sample(sample, "", ctx), policy, scorer, ctx)
        result.status, result.error = status, error
        return result
    return SampleResult(sample.sample_id, sample.subset, status, score=scorer.status_score(status, rule, sample, ctx),
                        error=error)  # fmt: skip


@dataclass
class _Pending:
    sample: Sample
    verdict: Verdict
    requests: list[JudgeRequest]


def _judge_all(scorer: Scorer, pending: list[_Pending], policy: StatusPolicy, ctx: ScoreContext):
    """Run every pending sample's requests (and their follow-ups) and turn the outcomes into results."""
    from tarsier_eval.judges.chain import run_with_followups

    stage = scorer.judged
    assert stage is not None
    results: dict[str, SampleResult] = {}
    if ctx.judge is None:
        for p in pending:
            results[p.sample.sample_id] = _fallback(scorer, p, None, "unjudged", policy, ctx)
        return results
    owners = {id(req): p for p in pending for req in p.requests}
    per_sample: dict[str, list[JudgeOutcome]] = {p.sample.sample_id: [] for p in pending}
    for root, outcome in run_with_followups(ctx.judge, [r for p in pending for r in p.requests], stage.desc):
        per_sample[owners[id(root)].sample.sample_id].append(outcome)
    for p in pending:
        outcomes = per_sample[p.sample.sample_id]
        failed = next((o for o in outcomes if not o.ok), None)
        if failed is not None:
            error = f"{failed.key}: {failed.error}"
            results[p.sample.sample_id] = _fallback(scorer, p, error, "judge_failed", policy, ctx)
        else:
            verdict = stage.apply(p.sample, p.verdict, outcomes, ctx)
            results[p.sample.sample_id] = _from_verdict(p.sample, verdict, policy, scorer, ctx)
    return results


def _fallback(scorer: Scorer, p: _Pending, error: str | None, status: str, policy: StatusPolicy, ctx: ScoreContext):
    assert scorer.judged is not None
    verdict = scorer.judged.fallback(p.sample, p.verdict, error, ctx)
    if verdict is not None:
        result = _from_verdict(p.sample, verdict, policy, scorer, ctx)
        if error is not None:
            result.detail.setdefault("judge_error", error)
        return result
    score = scorer.status_score(status, getattr(policy, status), p.sample, ctx)
    return SampleResult(p.sample.sample_id, p.sample.subset, status, p.verdict.parsed, score,
                        dict(p.verdict.detail), error)  # fmt: skip


def score_samples(
    scorer: Scorer, spec: TaskSpec, samples: list[Sample], predictions: dict[str, Prediction], ctx: ScoreContext
) -> TaskScores:
    """Statuses, verdicts, judging and aggregation of one task: the single path every scorer goes through."""
    policy = scorer.policy.with_options(ctx.options, f"task {spec.name}")
    results: dict[str, SampleResult] = {}
    pending: list[_Pending] = []
    for sample in samples:
        pred = predictions.get(sample.sample_id)
        if pred is None or pred.error is not None or pred.response is None:
            results[sample.sample_id] = _unanswered(sample, pred, policy, scorer, ctx)
            continue
        verdict = scorer.score_sample(sample, pred.response, ctx)
        requests = scorer.judged.requests(sample, pred.response, verdict, ctx) if scorer.judged is not None else []
        if requests:
            pending.append(_Pending(sample, verdict, requests))
        else:
            results[sample.sample_id] = _from_verdict(sample, verdict, policy, scorer, ctx)
    if pending:
        results.update(_judge_all(scorer, pending, policy, ctx))
    ordered = [results[s.sample_id] for s in samples]
    rows = list(zip(samples, ordered, strict=True))
    scorer.settle(rows, ctx)
    aggregate = scorer.aggregate(rows, ctx)
    notes = [*aggregate.notes, *status_notes(ordered, policy, ctx)]
    headline = aggregate.headline or spec.headline
    return TaskScores(spec.name, headline, aggregate.metrics, ordered, notes, aggregate.extra)


RULE_WORDS = {"wrong": "counted wrong", "exclude": "left out of every denominator", "count": "scored as parsed",
              "as_empty": "scored as an empty reply"}  # fmt: skip


def status_notes(results: list[SampleResult], policy: StatusPolicy, ctx: ScoreContext) -> list[str]:
    """One line per status that occurred, saying how those samples counted."""
    notes = []
    for status in ("missing", "error", "unparsed", "unjudged", "judge_failed"):
        n = sum(r.status == status for r in results)
        if not n:
            continue
        rule = getattr(policy, status)
        line = f"{n} of {len(results)} samples {status}: {RULE_WORDS[rule]} (policy {status}={rule})"
        if status == "unjudged":
            line += "; configure a judge (--judge-base-url, --judge-model) to score them"
        if status == "judge_failed":
            line += "; a rerun asks the judge again"
        notes.append(line)
    return notes
