"""`score --protocols all` for every task: one row per protocol (aliases resolved), and the items whose verdict
differs between two protocols listed once per protocol actually applied."""

from __future__ import annotations

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.runner.config import RunConfig
from tarsier_eval.runner.sensitivity import differences, score_all, summary
from tests.support.golden import TASKS, chosen_samples, data_root, prediction
from tests.support.judge_rules import RuleJudge

pytestmark = pytest.mark.slow  # every protocol of every task: minutes on 2 cores


@pytest.mark.parametrize("task", TASKS)
def test_every_protocol_of_every_task_scores_the_same_predictions(task, shared_benchmarks):
    spec = get_task(task)
    samples = chosen_samples(load_samples(spec, data_root(task)).samples)
    preds = {s.sample_id: p for i, s in enumerate(samples) if (p := prediction(i, s)) is not None}
    config = RunConfig(tasks=[task], data_root=str(data_root(task)))
    rows = score_all(task, preds, config, RuleJudge("autodq") if task == "dream1k" else None)
    names = protocols.names(spec)
    assert [r.protocol.requested for r in rows] == names and {"official", "paper"} <= set(names)
    table = summary(rows)
    assert len(table) == 2 + len(names) and all(f"| {n} |" in "\n".join(table) for n in names)
    applied = {r.protocol.key for r in rows if r.scores is not None}
    compared = [line for line in differences(rows, preds) if "scored differently" in line]
    assert len(compared) == len(applied) - 1  # each protocol applied, once, against the first (official)
