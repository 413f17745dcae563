"""A run killed with SIGKILL mid-way and resumed redoes no finished sample and loses none."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path

from tests.support.cli import run_cli, start_cli

SLOW = "max_new_tokens=24,min_new_tokens=24"


def _shard_lines(run_dir: Path) -> list[str]:
    return [
        line
        for path in sorted((run_dir / "shards" / "demo").glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def test_sigkill_then_resume(tmp_path: Path, trained_checkpoint: Path):
    run_dir = tmp_path / "killed"
    proc = start_cli(
        "run",
        "--tasks",
        "demo",
        "--output",
        str(tmp_path),
        "--run-id",
        "killed",
        "--workers",
        "1",
        "--limit",
        "14",
        "--gen-kwargs",
        SLOW,
    )
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if (run_dir / "shards" / "demo").is_dir() and len(_shard_lines(run_dir)) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    before = {
        json.loads(line)["sample_id"]: json.loads(line)["response"]
        for line in _shard_lines(run_dir)
        if line.endswith("}")
    }
    assert 3 <= len(before) < 14
    assert not (run_dir / "scores.json").exists()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"

    resumed = run_cli("run", "--resume", str(run_dir), "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ids = [json.loads(line)["sample_id"] for line in _shard_lines(run_dir)]
    assert Counter(ids).most_common(1)[0][1] == 1, "a finished sample was generated twice"
    assert len(ids) == 14
    rows = {json.loads(r)["sample_id"]: json.loads(r) for r in (run_dir / "samples.jsonl").read_text().splitlines()}
    assert len(rows) == 14
    for sample_id, response in before.items():  # nothing finished before the kill was lost or changed
        assert rows[sample_id]["response"] == response
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
