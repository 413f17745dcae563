"""`tarsier-eval run --tasks demo` end to end through the real CLI, the tiny checkpoint and real video decoding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.cli import REPO, cli_env, run_cli


def test_demo_run_writes_the_run_dir(tmp_path: Path, trained_checkpoint: Path):
    out = tmp_path / "runs"
    proc = run_cli("run", "--tasks", "demo", "--output", str(out), "--run-id", "demo1", "--batch-size", "4")
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = out / "demo1"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["model"]["name"] == "tarsier2" and manifest["model"]["fingerprint"]
    assert manifest["tasks"]["demo"]["annotations"]["demo.jsonl"]
    assert manifest["packages"]["torch"] and manifest["config"]["tasks"] == ["demo"]
    rows = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 32 and len({r["sample_id"] for r in rows}) == 32
    assert all(r["response"] is not None and r["status"] in ("ok", "unparsed") for r in rows)
    scores = json.loads((run_dir / "scores.json").read_text())["tasks"]["demo"]
    assert scores["n"] == 32 and scores["n_errors"] == 0
    correct = sum(r["score"] for r in rows)
    assert abs(scores["metrics"]["overall"]["accuracy"] - 100 * correct / 32) < 1e-9
    assert "== demo: accuracy" in proc.stdout


def test_batch_size_does_not_change_answers(tmp_path: Path, trained_checkpoint: Path):
    responses = {}
    for batch in ("1", "3"):
        proc = run_cli(
            "run",
            "--tasks",
            "demo",
            "--limit",
            "6",
            "--output",
            str(tmp_path),
            "--run-id",
            f"b{batch}",
            "--batch-size",
            batch,
            "--workers",
            "0",
            "--gen-kwargs",
            "max_new_tokens=6",
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = (tmp_path / f"b{batch}" / "samples.jsonl").read_text().splitlines()
        responses[batch] = {json.loads(r)["sample_id"]: json.loads(r)["response"] for r in rows}
    assert responses["1"] == responses["3"]


def test_frame_cache_reuses_frames_and_keeps_answers(tmp_path: Path, trained_checkpoint: Path):
    common = ("run", "--tasks", "demo", "--limit", "6", "--output", str(tmp_path), "--gen-kwargs", "max_new_tokens=6")
    cache = ("--frame-cache", str(tmp_path / "frames"), "--frame-cache-size", "2G")
    responses, reused = {}, {}
    for name, extra in (("plain", ()), ("fill", cache), ("reuse", cache)):
        proc = run_cli(*common, "--run-id", name, *extra)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = (tmp_path / name / "samples.jsonl").read_text().splitlines()
        responses[name] = {json.loads(r)["sample_id"]: json.loads(r)["response"] for r in rows}
        reused[name] = [line for line in proc.stderr.splitlines() if "frame cache:" in line]
    assert responses["plain"] == responses["fill"] == responses["reuse"]
    assert reused["plain"] == []
    assert "frame cache: 0 of 6 samples' frames reused" in reused["fill"][0]
    assert "frame cache: 6 of 6 samples' frames reused" in reused["reuse"][0]
    manifest = json.loads((tmp_path / "reuse" / "manifest.json").read_text())
    assert manifest["config"]["frame_cache_bytes"] == 2 << 30
    assert manifest["config"]["frame_cache"] == str((tmp_path / "frames").resolve())


def test_a_bad_frame_cache_size_is_a_usage_error(tmp_path: Path):
    proc = run_cli("run", "--tasks", "demo", "--output", str(tmp_path), "--frame-cache", str(tmp_path / "f"),
                   "--frame-cache-size", "lots")  # fmt: skip
    assert proc.returncode == 2
    assert "--frame-cache-size: not a size: 'lots'" in proc.stderr


def test_make_setup_demo_step_prints_the_accuracy_and_its_meaning(tmp_path: Path, trained_checkpoint: Path):
    """`make demo` (the last step of `make setup`): reuses the cached checkpoint, runs the demo, explains the number."""
    out = tmp_path / "runs"
    proc = subprocess.run([sys.executable, "-m", "tarsier_eval.demo_setup", "--output", str(out), "--workers", "0"],
                          capture_output=True, text=True, timeout=600, env=cli_env(), cwd=REPO)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "tiny checkpoint reused" in proc.stdout and "training took" in proc.stdout
    line = next(line for line in proc.stdout.splitlines() if line.startswith("demo accuracy"))
    assert "on 32 clips (chance 25 %)" in line
    (run_dir,) = out.iterdir()
    accuracy = json.loads((run_dir / "scores.json").read_text())["tasks"]["demo"]["metrics"]["overall"]["accuracy"]
    assert line.startswith(f"demo accuracy {accuracy:.1f} %")
