"""Regression gates on real TVBench runs: a planted regression fails, identical runs pass, bad input exits 2."""

from __future__ import annotations

import argparse
import json

import pytest

from tarsier_eval.report import commands
from tarsier_eval.report.gate import GateConfig, gate_reference, gate_runs, load_config
from tarsier_eval.report.reference import load_reference
from tarsier_eval.report.runs import load_run
from tarsier_eval.scoring.types import TaskScores
from tests.unit.test_report_fixtures import planted, tvbench_run, write_run


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


@pytest.fixture(scope="module")
def root(tmp_path_factory, shared_benchmarks):
    root = tmp_path_factory.mktemp("results")
    base_wrong = planted(600, 120, seed=1)  # 80.0%
    tvbench_run(root, shared_benchmarks, "base", base_wrong)
    tvbench_run(root, shared_benchmarks, "same", base_wrong)
    # planted regression: 60 more wrong answers -> 70.0%
    extra = planted(600, 200, seed=2) - base_wrong
    tvbench_run(root, shared_benchmarks, "worse", base_wrong | set(sorted(extra)[:60]))
    # noise: 3 flips each way -> same accuracy, different samples
    flips_out, flips_in = sorted(base_wrong)[:3], sorted(extra)[:3]
    tvbench_run(root, shared_benchmarks, "noisy", (base_wrong - set(flips_out)) | set(flips_in))
    return root


def test_identical_runs_pass(root, capsys):
    assert cli("gate", "--results-root", str(root), "--baseline", "base", "--candidate", "same") == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("## ✅ PASS")
        and "| tvbench | overall | accuracy | 80.00 | 80.00 | +0.00 | [+0.00, +0.00] | 600 |" in out
    )


def test_planted_regression_fails_with_a_significant_ci(root, capsys, tmp_path):
    summary = tmp_path / "summary.md"
    code = cli(
        "gate", "--results-root", str(root), "--baseline", "base", "--candidate", "worse", "--output", str(summary)
    )
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("## ❌ FAIL")
    (check,) = gate_runs(load_run(root / "runs/base"), load_run(root / "runs/worse"), GateConfig())
    assert check.delta == pytest.approx(-10.0) and check.ci[1] < 0 and not check.passed
    assert check.ci[0] > -16 and check.reason == "significant regression"
    assert summary.read_text() == out  # CI job summary gets the same Markdown


def test_noise_within_tolerance_passes_and_large_tolerance_forgives(root, tmp_path):
    base, worse = load_run(root / "runs/base"), load_run(root / "runs/worse")
    (noisy,) = gate_runs(base, load_run(root / "runs/noisy"), GateConfig())
    assert noisy.passed and noisy.delta == pytest.approx(0.0) and noisy.ci[0] < 0 < noisy.ci[1]
    cfg_file = tmp_path / "gates.yaml"
    cfg_file.write_text("defaults: {tolerance: 1.0}\ntasks:\n  tvbench: {tolerance: 12}\n")
    (forgiven,) = gate_runs(base, worse, load_config(cfg_file))
    assert forgiven.passed and forgiven.tolerance == 12


def test_bootstrap_is_seeded(root):
    base, worse = load_run(root / "runs/base"), load_run(root / "runs/worse")
    assert gate_runs(base, worse, GateConfig(seed=3))[0].ci == gate_runs(base, worse, GateConfig(seed=3))[0].ci


def test_non_mean_metric_gates_on_tolerance_only(tmp_path):
    f1 = {"overall": {"f1": 40.0, "precision": 41.0, "recall": 39.0}}
    a = write_run(tmp_path, "a", [TaskScores("dream1k", "f1", f1, [])])
    b = write_run(tmp_path, "b", [TaskScores("dream1k", "f1", {"overall": {**f1["overall"], "f1": 38.5}}, [])])
    (c,) = gate_runs(load_run(a), load_run(b), GateConfig(min_n=0))  # a fixture without samples
    assert c.ci is None and not c.passed and "no per-sample CI" in c.reason


def test_task_dropped_by_candidate_fails(tmp_path, root):
    other = write_run(tmp_path, "other", [TaskScores("tvbench", "accuracy", {"overall": {}}, [])])
    (c,) = gate_runs(load_run(root / "runs/base"), load_run(other), GateConfig())
    assert not c.passed and c.reason == "missing in candidate"


def test_against_published_numbers(tmp_path):
    close = write_run(tmp_path, "close", [TaskScores("tvbench", "accuracy", {"overall": {"accuracy": 54.2}}, [])])
    write_run(tmp_path, "far", [TaskScores("tvbench", "accuracy", {"overall": {"accuracy": 50.0}}, [])])
    ref = load_reference()
    (c,) = gate_reference(load_run(close), ref, "tarsier2-7b", GateConfig())
    assert c.passed and c.baseline == 54.7 and c.delta == pytest.approx(-0.5)
    assert cli("gate", "--results-root", str(tmp_path), "--candidate", "far", "--against", "reference:tarsier2-7b") == 1
    assert (
        cli("gate", "--results-root", str(tmp_path), "--candidate", "close", "--against", "reference:Tarsier2-7B") == 0
    )


def test_bad_input_exits_2(tmp_path, root, capsys):
    assert cli("gate", "--results-root", str(root), "--baseline", "nope", "--candidate", "same") == 2
    assert cli("gate", "--results-root", str(root), "--candidate", "same") == 2
    assert cli("gate", "--results-root", str(root), "--candidate", "same", "--against", "paper") == 2
    other = write_run(tmp_path, "other", [TaskScores("mvbench", "accuracy", {"overall": {"accuracy": 1.0}}, [])])
    assert cli("gate", "--results-root", str(root), "--baseline", "base", "--candidate", str(other)) == 2
    bad = tmp_path / "gates.yaml"
    bad.write_text("defaults: {tolerance: lots}\n")
    assert (
        cli("gate", "--results-root", str(root), "--baseline", "base", "--candidate", "same", "--config", str(bad)) == 2
    )
    assert "error:" in capsys.readouterr().err


def test_compare_lists_flipped_samples_with_both_responses(root, capsys):
    assert cli("compare", "--results-root", str(root), "base", "worse", "--task", "tvbench", "--json") == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 60 and all(r["a"] == "correct" and r["b"] == "incorrect" for r in rows)
    assert rows[0]["response_a"] != rows[0]["response_b"]
    assert cli("compare", "--results-root", str(root), "base", "worse", "--task", "mvbench") == 2
