"""One source for the paper's numbers: results/reference/tarsier2.yaml (through mapping.yaml: paper cell -> task,
subset, metric). Task YAMLs hold none (a `published:` section is refused); every mapped metric of a Tarsier2-7B cell
is one the task's scorer really emits, checked by scoring crafted replies on the task's real annotations."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from tarsier_eval.data.load import load_samples
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import all_tasks
from tarsier_eval.report.reference import load_reference
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tarsier_eval.task import load_task_file
from tests.support.judge_rules import RuleJudge
from tests.support.judge_server import autodq_rule

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

REF = load_reference()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TASKS_DIR = Path(__file__).resolve().parents[2] / "tasks"
PAPER_TASKS = {m["task"] for parts in REF.mapping.values() for m in parts.values()}
IMPLEMENTED = sorted(name for name, spec in all_tasks().items() if spec.implemented and name in PAPER_TASKS)
CASES = IMPLEMENTED


def expected_published(task: str) -> dict[str, dict[str, float]]:
    """{subset: {metric: value on our scale}} of the paper's Tarsier2-7B numbers that mapping.yaml sends to `task`."""
    out: dict[str, dict[str, float]] = {}
    for pub in REF.published(REF.ours):
        if pub.task == task:
            metrics = out.setdefault(pub.subset, {})
            assert pub.metric not in metrics, f"{task}/{pub.subset}/{pub.metric} mapped twice"
            metrics[pub.metric] = pub.value / pub.scale
    return out


def test_task_yamls_hold_no_published_numbers(tmp_path):
    """The numbers live in results/reference only: no task file repeats them, and the task schema refuses them."""
    for path in sorted(TASKS_DIR.glob("*.yaml")):
        assert "published" not in yaml.safe_load(path.read_text(encoding="utf-8")), path.name
    raw = yaml.safe_load((TASKS_DIR / "tvbench.yaml").read_text(encoding="utf-8"))
    (tmp_path / "tvbench.yaml").write_text(yaml.safe_dump({**raw, "published": {"tarsier2-7b": {"overall": {}}}}))
    with pytest.raises(ConfigError, match="published"):
        load_task_file(tmp_path / "tvbench.yaml")


def test_every_paper_number_of_tarsier2_maps_to_a_task_of_the_registry():
    published = REF.published(REF.ours)
    # Tables 1-7 print 18 + 6 + 11 + 5 + 11 + 6 + 6 numbers of Tarsier2-7B
    assert Counter(p.table for p in published) == {"dream1k": 18, "etbench-cap": 6, "short-qa": 11, "long-qa": 5,
                                                   "hallucination": 11, "etbench-gnd": 6, "embodied": 6}  # fmt: skip
    assert {p.task for p in published} <= set(all_tasks())
    assert expected_published("tvbench") == {"overall": {"accuracy": 54.7}}
    assert expected_published("mlvu") == {"overall": {"m_avg": 67.9}}


# ---- the scorer emits every mapped metric ---------------------------------------------------------------------

REPLIES = ["(A) text", "The answer is B.", "**C**", "", "b", "I cannot tell from the video.", "yes", "No.", "A"]


def _rule(task: str, messages: list[dict[str, Any]]) -> str:
    """A deterministic judge per judged task, replying in the format its official parser reads."""
    prompt = messages[-1]["content"]
    if task == "dream1k":
        return autodq_rule(messages)
    if task == "tempcompass":
        return "Answer: A. a guess" if "Multi-Choice Question" in prompt else "Correct"
    if task == "openeqa":
        return "Your mark: 4"
    return "A"  # tomato's LLM parser: exactly a choice letter


def _scores(task: str, shared_benchmarks: Path, judge: RuleJudge | None):
    spec = all_tasks()[task]
    fixture = FIXTURES / task
    loaded = load_samples(spec, fixture if fixture.is_dir() else shared_benchmarks)
    assert loaded.samples and not loaded.issues
    preds = {
        s.sample_id: Prediction(s.sample_id, str(s.answer) if i % 2 == 0 else REPLIES[i // 2 % len(REPLIES)])
        for i, s in enumerate(loaded.samples)
    }
    return score_task(spec, loaded.samples, preds, judge=judge)


@pytest.mark.parametrize("task", CASES)
def test_scorer_emits_every_mapped_metric(task, shared_benchmarks):
    mapped = [(s, m) for s, metrics in expected_published(task).items() for m in metrics]
    assert mapped, f"{task}: no paper cell maps to it"
    unjudged = _scores(task, shared_benchmarks, None)
    judged = _scores(task, shared_benchmarks, RuleJudge(partial(_rule, task)))
    for subset, metric in mapped:
        assert metric in unjudged.metrics.get(subset, {}), f"{task}: no {subset}/{metric} without a judge"
        value = judged.metrics.get(subset, {}).get(metric)
        assert isinstance(value, float) and 0.0 <= value <= 100.0, f"{task}: {subset}/{metric} = {value!r}"
