"""TVBench end to end on the real annotations with synthetic videos, bad input handling, and the CLI contracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tarsier_eval.registry import get_task
from tests.support.cli import REPO, run_cli
from tests.support.trees import build_tree

LIMIT = 8


@pytest.fixture()
def tvbench_tree(tmp_path: Path, shared_benchmarks: Path):
    samples = build_tree(get_task("tvbench"), shared_benchmarks, tmp_path / "data", LIMIT)
    return tmp_path / "data", samples


def _run_tvbench(data: Path, output: Path, checkpoint: Path, run_id: str, *extra: str):
    return run_cli("run", "--tasks", "tvbench", "--model", "tarsier2", "--model-args", f"pretrained={checkpoint}",
                   "--data-root", str(data), "--limit", str(LIMIT), "--output", str(output), "--run-id", run_id,
                   "--gen-kwargs", "max_new_tokens=4", *extra)  # fmt: skip


def _rows(run_dir: Path) -> dict[str, dict]:
    return {json.loads(r)["sample_id"]: json.loads(r) for r in (run_dir / "samples.jsonl").read_text().splitlines()}


def test_tvbench_runs_on_tiny_model(tvbench_tree, tmp_path: Path, tiny_checkpoint: Path):
    data, samples = tvbench_tree
    proc = _run_tvbench(data, tmp_path / "runs", tiny_checkpoint, "tv", "--batch-size", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _rows(tmp_path / "runs" / "tv")
    assert [r for r in rows] == [s.sample_id for s in samples]
    scores = json.loads((tmp_path / "runs" / "tv" / "scores.json").read_text())["tasks"]["tvbench"]
    assert scores["n"] == LIMIT and scores["subset_n"] == {"Action Antonym": LIMIT}


def test_bad_media_and_records_are_reported_and_the_run_goes_on(tvbench_tree, tmp_path: Path, tiny_checkpoint: Path):
    data, samples = tvbench_tree
    root = data / "TVBench"
    (root / samples[0].video).unlink()  # missing
    (root / samples[1].video).write_bytes(b"")  # zero bytes
    (root / samples[2].video).write_bytes(b"\x00garbage" * 100)  # corrupt
    ann = root / "full.TVBench_tarsier-format.jsonl"
    lines = ann.read_text().splitlines()
    lines.insert(5, '{"messages": [')  # malformed line
    ann.write_text("\n".join(lines) + "\n")
    proc = _run_tvbench(data, tmp_path / "runs", tiny_checkpoint, "bad", "--workers", "1")
    assert proc.returncode == 1, proc.stderr[-3000:]
    rows = _rows(tmp_path / "runs" / "bad")
    assert (
        "not found" in rows[samples[0].sample_id]["error"] and samples[0].video in rows[samples[0].sample_id]["error"]
    )
    assert "empty" in rows[samples[1].sample_id]["error"]
    assert rows[samples[2].sample_id]["status"] == "error" and samples[2].video in rows[samples[2].sample_id]["error"]
    assert rows["tvbench@full.TVBench_tarsier-format.jsonl#/5"]["error"].startswith("malformed JSON line 6")
    ok = [r for r in rows.values() if r["status"] not in ("error",)]
    assert len(ok) == LIMIT - 3 and all(r["response"] is not None for r in ok)
    scores = json.loads((tmp_path / "runs" / "bad" / "scores.json").read_text())["tasks"]["tvbench"]
    assert scores["n_errors"] == 3 and len(scores["extra"]["invalid_records"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--tasks", "nosuchtask"], "unknown task 'nosuchtask'"),
        (["run", "--tasks", "tvbench", "--data-root", "/nonexistent/dir"], "data root /nonexistent/dir does not exist"),
        (["run", "--tasks", "demo", "--model", "nosuchmodel"], "unknown model 'nosuchmodel'"),
        (["run", "--tasks", "tvbench"], "task tvbench needs its data"),
        (["run", "--shard", "3/2", "--tasks", "demo"], "--shard 3/2"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr


def test_planned_task_refuses_to_run(tmp_path: Path):
    tasks = tmp_path / "tasks"
    shutil.copytree(REPO / "tasks", tasks)
    (tasks / "futurebench.yaml").write_text(
        "name: futurebench\nbenchmark: FutureBench\nstatus: planned\nversion: 1\nmetric: accuracy\n"
    )
    env = {"TARSIER_EVAL_TASKS_DIR": str(tasks)}
    listed = run_cli("tasks", env=env)
    assert "futurebench" in listed.stdout and "planned" in listed.stdout
    proc = run_cli("run", "--tasks", "futurebench", "--data-root", str(tmp_path), env=env)
    assert proc.returncode == 2 and "planned, not implemented" in proc.stderr


def test_samples_export_contract(shared_benchmarks: Path):
    proc = run_cli("samples", "--task", "tvbench", "--data-root", str(shared_benchmarks), "--limit", "3")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 3
    assert set(records[0]) == {"sample_id", "task", "subset", "video", "prompt", "options", "answer", "source"}
    assert records[2]["source"] == {"file": "full.TVBench_tarsier-format.jsonl", "pointer": "/2"}


def test_score_only_contract(tmp_path: Path, shared_benchmarks: Path):
    spec = get_task("tvbench")
    from tarsier_eval.data.load import load_samples

    samples = load_samples(spec, shared_benchmarks).samples
    preds = tmp_path / "preds.jsonl"
    # every Action Count answer right (as "X) text"), everything else wrong; 100 samples without a prediction
    lines = []
    for s in samples[100:]:
        wrong = "A" if s.answer != "A" else "B"
        lines.append(
            json.dumps(
                {"sample_id": s.sample_id, "response": s.answer + ")" if s.subset == "Action Count" else wrong + ")"}
            )
        )
    preds.write_text("\n".join(lines) + "\n")
    proc = run_cli(
        "score",
        "--task",
        "tvbench",
        "--predictions",
        str(preds),
        "--data-root",
        str(shared_benchmarks),
        "--output",
        str(tmp_path / "scored"),
        "--protocol",
        "official",
    )
    assert proc.returncode == 1  # missing predictions are reported as failures
    scores = json.loads((tmp_path / "scored" / "scores.json").read_text())["tasks"]["tvbench"]
    action_count_scored = sum(1 for s in samples[100:] if s.subset == "Action Count")
    assert scores["n_missing"] == 100
    assert scores["metrics"]["overall"]["accuracy"] == pytest.approx(100 * action_count_scored / 2525)
