"""The framework owns every sample's status, the same way for every benchmark: missing, error, unparsed, unjudged
and judge_failed, each counted as the scorer's policy (or a status option) says, through `Scorer.status_score`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.registry import SCORERS, all_tasks
from tarsier_eval.scoring.score import make_context, score_task
from tarsier_eval.scoring.types import Prediction
from tests.support.golden import TASKS, data_root

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

JUDGED = {"dream1k", "openeqa", "mmbench_video", "eventhallusion", "tempcompass"}  # samples left to a judge
FALLBACK = {"tomato"}  # a judged step whose failure falls back to the official random answer


class FailingJudge:
    model = "failing"

    def __init__(self) -> None:
        self.asked = 0

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        self.asked += len(requests)
        return [JudgeOutcome(r.key, error="HTTP 503 after 5 attempts") for r in requests]


def _case(task: str):
    spec = all_tasks()[task]
    samples = load_samples(spec, data_root(task)).samples  # copies (new ids) where a fixture has few samples
    kinds = {s.meta.get("kind") for s in samples}
    if "desc" in kinds:  # one description sample among the first ones, so the judged kind is present
        desc = next(s for s in samples if s.meta.get("kind") == "desc")
        samples = [desc, *(s for s in samples if s is not desc)]
    samples = [replace(s, sample_id=f"{s.sample_id}/copy{k}") for k in range(4) for s in samples][:8]
    preds = {samples[1].sample_id: Prediction(samples[1].sample_id, None, error="CUDA out of memory"),
             samples[2].sample_id: Prediction(samples[2].sample_id, None)}  # fmt: skip
    preds.update({s.sample_id: Prediction(s.sample_id, "zzz qqq") for s in samples[3:]})
    return spec, samples, preds


def _expected(spec, scorer, sample, status, options):
    ctx = make_context(spec, scorer, options, None, 0)
    policy = scorer.policy.with_options(ctx.options, spec.name)
    return scorer.status_score(status, getattr(policy, status), sample, ctx)


@pytest.mark.parametrize("task", TASKS)
def test_missing_and_failed_predictions(task, shared_benchmarks):
    spec, samples, preds = _case(task)
    scorer = SCORERS.get(spec.scorer.name)()
    for options in ({}, {"missing": "exclude", "error": "exclude"}, {"missing": "wrong", "error": "wrong"}):
        scores = score_task(spec, samples, preds, options=options)
        missing, failed, null = scores.samples[:3]
        assert (missing.status, missing.error) == ("missing", "no prediction")
        assert (failed.status, failed.error) == ("error", "CUDA out of memory")
        assert null.status == "error" and "null" in null.error
        for result, sample, status in ((missing, samples[0], "missing"), (failed, samples[1], "error")):
            rule = {**{"missing": scorer.policy.missing, "error": scorer.policy.error}, **options}[status]
            if rule != "as_empty":
                assert result.score == _expected(spec, scorer, sample, status, options), (status, options)
        counts = scores.counts()
        assert counts["n_missing"] == 1 and counts["n_errors"] == 2 and counts["n"] == len(samples)
        if options.get("missing") == "exclude":
            assert missing.score is None and failed.score is None


@pytest.mark.parametrize("task", TASKS)
def test_judged_samples_are_unjudged_without_a_judge_and_judge_failed_when_it_fails(task, shared_benchmarks):
    spec, samples, preds = _case(task)
    scorer = SCORERS.get(spec.scorer.name)()
    unjudged = score_task(spec, samples, preds)
    judge = FailingJudge()
    failed = score_task(spec, samples, preds, judge=judge)
    assert "judge_failed" not in {r.status for r in unjudged.samples}
    assert "unjudged" not in {r.status for r in failed.samples}
    if scorer.judged is None:
        assert judge.asked == 0 and "unjudged" not in {r.status for r in unjudged.samples}
        return
    assert judge.asked > 0
    left = [i for i, r in enumerate(unjudged.samples) if r.status == "unjudged"]
    if task in JUDGED:
        assert left, f"{task}: no sample was left to the judge"
    for i in left:
        assert failed.samples[i].status == "judge_failed" and "HTTP 503" in failed.samples[i].error
        for rule in ("wrong", "exclude"):
            rescored = score_task(spec, samples, preds, options={"unjudged": rule}).samples[i]
            assert rescored.score == _expected(spec, scorer, samples[i], "unjudged", {"unjudged": rule})
    if task in FALLBACK:  # the failed judging falls back to the official answer: unparsed, counted
        assert all(r.status != "judge_failed" for r in failed.samples)
        assert any(r.detail.get("judge_error") for r in failed.samples)


@pytest.mark.parametrize("task", ["tvbench", "dream1k", "etbench"])
def test_status_options_are_checked(task, shared_benchmarks):
    spec, samples, preds = _case(task)
    with pytest.raises(ConfigError, match="missing must be one of"):
        score_task(spec, samples, preds, options={"missing": "zero"})
    with pytest.raises(ConfigError, match="takes no option"):
        score_task(spec, samples, preds, options={"no_such_option": 1})
