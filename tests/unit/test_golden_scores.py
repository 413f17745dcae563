"""Every benchmark's scorer reproduces its golden scores (tests/support/golden.py): metrics, counts and each sample's
status, parsed answer and score, bit for bit. The exceptions are the sentence similarities of E.T. Bench and
TemporalBench captioning, a float32 neural network whose last digits depend on the CPU's vector unit; their floats
are compared to 1e-5."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.support.golden import MODES, TASKS, golden_path, sample_records, samples_digest, score_golden

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

NEURAL = {"etbench", "temporalbench_caption"}


def same(a: Any, b: Any, loose: bool) -> bool:
    if isinstance(a, float) and isinstance(b, float) and loose:
        return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], loose) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, loose) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("mode", MODES)
def test_scorer_reproduces_its_golden_scores(task: str, mode: str, shared_benchmarks):
    golden = json.loads(golden_path(task).read_text())[mode]
    got = score_golden(task, mode)
    loose = task in NEURAL
    assert same(got["counts"], golden["counts"], loose), (got["counts"], golden["counts"])
    assert same(got["metrics"], golden["metrics"], loose), (got["metrics"], golden["metrics"])
    differing = [(g, e) for g, e in zip(got["samples"], golden["samples"], strict=False) if not same(g, e, loose)]
    assert len(got["samples"]) == len(golden["samples"]) and not differing, differing[:5]


@pytest.mark.parametrize("task", TASKS)
def test_loader_reproduces_its_golden_samples(task: str, shared_benchmarks):
    """Prompts, media, answers, meta, sources and load issues of every sample are what they were."""
    expected = json.loads(golden_path(task).read_text())["samples_sha256"]
    if samples_digest(task) != expected:
        first = sample_records(task)[:2]
        pytest.fail(f"{task}: loaded samples changed; first records now: {first}")
