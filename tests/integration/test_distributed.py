"""Real torch.distributed (gloo on CPU) through torchrun: sharding, rank independence, killed rank, world change."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from tests.support.cli import REPO, cli_env, run_cli

LIMIT = 10
GEN = "max_new_tokens=5"


def torchrun(nproc: int, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
               "--master-port", str(29500 + os.getpid() % 1000 + nproc),
               "-m", "tarsier_eval", *args]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(env),
        cwd=REPO,
        start_new_session=True,
    )


def _responses(run_dir: Path) -> dict[str, str]:
    rows = (run_dir / "samples.jsonl").read_text().splitlines()
    return {json.loads(r)["sample_id"]: json.loads(r)["response"] for r in rows}


def _shard_ids(run_dir: Path) -> list[str]:
    return [
        json.loads(line)["sample_id"]
        for path in (run_dir / "shards" / "demo").glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.endswith("}")
    ]


def _pids_with(marker: str, rank: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"TE_TEST_MARK={marker}".encode() in environ and f"RANK={rank}".encode() in environ:
            pids.append(int(entry.name))
    return pids


def test_two_gloo_ranks_match_a_single_process(tmp_path: Path, trained_checkpoint: Path):
    args = ("run", "--tasks", "demo", "--limit", str(LIMIT), "--output", str(tmp_path), "--workers", "0",
            "--gen-kwargs", GEN)  # fmt: skip
    single = run_cli(*args, "--run-id", "w1")
    assert single.returncode == 0, single.stderr[-2000:]
    proc = torchrun(2, *args, "--run-id", "w2")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    run_dir = tmp_path / "w2"
    assert sorted(p.name for p in (run_dir / "shards" / "demo").glob("*.jsonl")) == [
        "rank0-of2.jsonl",
        "rank1-of2.jsonl",
    ]
    per_rank = [len(p.read_text().splitlines()) for p in sorted((run_dir / "shards" / "demo").glob("*.jsonl"))]
    assert per_rank == [LIMIT // 2, LIMIT // 2]
    assert json.loads((run_dir / "manifest.json").read_text())["world_size"] == 2
    assert _responses(run_dir) == _responses(tmp_path / "w1")
    assert out.count("== demo: accuracy") == 1  # only rank 0 scores and prints


def test_killed_rank_then_resume_on_three_ranks(tmp_path: Path, trained_checkpoint: Path):
    marker = uuid.uuid4().hex
    run_dir = tmp_path / "k"
    args = ("run", "--tasks", "demo", "--limit", "16", "--output", str(tmp_path), "--run-id", "k", "--workers", "0",
            "--gen-kwargs", "max_new_tokens=16,min_new_tokens=16")  # fmt: skip
    proc = torchrun(2, *args, env={"TE_TEST_MARK": marker})
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if (run_dir / "shards" / "demo").is_dir() and len(_shard_ids(run_dir)) >= 4:
            break
        time.sleep(0.05)
    victims = _pids_with(marker, "1")
    assert victims and proc.poll() is None
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    proc.communicate(timeout=300)
    assert proc.returncode != 0
    before = set(_shard_ids(run_dir))
    assert 0 < len(before) < 16

    resumed = torchrun(3, "run", "--resume", str(run_dir), "--workers", "0")
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    ids = _shard_ids(run_dir)
    assert Counter(ids).most_common(1)[0][1] == 1 and set(ids) == set(_responses(run_dir))
    assert len(ids) == 16
    assert (run_dir / "shards" / "demo" / "rank2-of3.jsonl").is_file()
    assert json.loads((run_dir / "manifest.json").read_text())["world_size"] == 3


def test_shard_processes_and_merge(tmp_path: Path, trained_checkpoint: Path):
    args = ("run", "--tasks", "demo", "--limit", "6", "--output", str(tmp_path), "--run-id", "s", "--workers", "0",
            "--gen-kwargs", GEN)  # fmt: skip
    for index in range(2):
        proc = run_cli(*args, "--shard", f"{index}/2")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "tarsier-eval merge" in proc.stdout
    assert not (tmp_path / "s" / "scores.json").exists()
    merged = run_cli("merge", str(tmp_path / "s"))
    assert merged.returncode == 0, merged.stderr[-2000:]
    assert len(_responses(tmp_path / "s")) == 6


def test_two_tasks_on_two_ranks_with_workers_match_a_single_process(
    tmp_path: Path, trained_checkpoint: Path, shared_benchmarks: Path
):
    """Each rank starts the next task's workers (and its plan broadcast) before its last batch of the first."""
    from tarsier_eval.demo import ensure_demo_data
    from tarsier_eval.registry import get_task
    from tests.support.trees import build_tree

    data = tmp_path / "data"
    build_tree(get_task("tvbench"), shared_benchmarks, data, 6)
    shutil.copytree(ensure_demo_data() / "demo", data / "demo")
    args = ("run", "--tasks", "demo,tvbench", "--data-root", str(data), "--limit", "6", "--output", str(tmp_path),
            "--workers", "1", "--batch-size", "2", "--gen-kwargs", GEN)  # fmt: skip
    single = run_cli(*args, "--run-id", "t1")
    assert single.returncode == 0, single.stderr[-2000:]
    proc = torchrun(2, *args, "--run-id", "t2")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    for task in ("demo", "tvbench"):
        shards = sorted((tmp_path / "t2" / "shards" / task).glob("*.jsonl"))
        assert [p.name for p in shards] == ["rank0-of2.jsonl", "rank1-of2.jsonl"]
        assert sum(len(p.read_text().splitlines()) for p in shards) == 6
    both = _responses(tmp_path / "t2")
    assert len(both) == 12 and both == _responses(tmp_path / "t1")
    assert out.count("== demo: ") == 1 and out.count("== tvbench: ") == 1
