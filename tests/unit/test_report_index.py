"""The SQLite results index: index_run, reindex, runs listing, CIs only for per-sample-mean metrics."""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3

from tarsier_eval.report import commands, index
from tarsier_eval.scoring.types import TaskScores
from tests.unit.test_report_fixtures import planted, tvbench_run, write_run


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_index_run_records_every_metric_with_n_and_ci(tmp_path, shared_benchmarks):
    run_dir = tvbench_run(tmp_path, shared_benchmarks, "r1", planted(600, 150, seed=0))
    index.index_run(run_dir, tmp_path)
    rows = {(r["subset"], r["metric"]): r for r in index.query(tmp_path, "r1")}
    acc = rows[("overall", "accuracy")]
    assert acc["value"] == 75.0 and acc["n"] == 600 and acc["fingerprint"] == "ab" * 32
    assert acc["ci_low"] < 75.0 < acc["ci_high"] and acc["ci_high"] - acc["ci_low"] < 8
    macro = rows[("overall", "accuracy_macro")]
    assert macro["ci_low"] is None  # a mean of task accuracies is not a per-sample mean: no CI
    sub = next(r for (s, m), r in rows.items() if s != "overall" and m == "accuracy")
    assert sub["n"] > 0 and sub["ci_low"] is not None
    index.index_run(run_dir, tmp_path)  # re-indexing replaces, never duplicates
    assert len(index.query(tmp_path, "r1")) == len(rows)


def test_reindex_rebuilds_and_skips_unfinished(tmp_path, capsys):
    write_run(tmp_path, "a", [TaskScores("tvbench", "accuracy", {"overall": {"accuracy": 50.0}}, [])])
    write_run(tmp_path, "b", [TaskScores("mvbench", "accuracy", {"overall": {"accuracy": 60.0}}, [])], model="m2")
    (tmp_path / "runs" / "c").mkdir()  # still running: no scores.json
    assert cli("reindex", "--results-root", str(tmp_path)) == 0
    assert "indexed 2 run(s)" in capsys.readouterr().out
    assert cli("runs", "--results-root", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "| a |" in out and "| b |" in out and "| m2 |" in out and "| c |" not in out
    with sqlite3.connect(index.index_path(tmp_path)) as con:
        assert con.execute("SELECT count(*) FROM results").fetchone()[0] == 2


def test_table_command_with_runs_and_reference(tmp_path, capsys):
    write_run(tmp_path, "a", [TaskScores("tvbench", "accuracy", {"overall": {"accuracy": 50.0}}, [])])
    assert (
        cli(
            "table",
            "--results-root",
            str(tmp_path),
            "--layout",
            "short-qa",
            "--runs",
            "a",
            "--with-reference",
            "--format",
            "csv",
        )
        == 0
    )
    lines = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    ours = {x["part"]: x["value"] for x in lines if x["kind"] == "run"}
    assert ours["tvbench"] == "50.0" and ours["mvbench"] == "" and len(ours) == 11
    assert lines[-1]["model"] == "tiny-qwen2-vl"  # our row closes the table
    assert cli("table", "--results-root", str(tmp_path), "--layout", "short-qa", "--runs", "zz") == 2
