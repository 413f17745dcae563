"""`--model lmms-eval`: lmms-eval's own Qwen2-VL class on the tiny checkpoint, inside our runner (shards, resume,
scoring). Needs the optional extra (`make test-lmms`); without it, the backend refuses with a clear message."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tarsier_eval.registry import get_task
from tests.support.cli import run_cli
from tests.support.trees import build_tree

HAS_LMMS_EVAL = importlib.util.find_spec("lmms_eval") is not None
NEEDS_LMMS_EVAL = pytest.mark.skipif(
    not HAS_LMMS_EVAL,
    reason="lmms-eval is not installed: it needs av<16 while constraints.txt pins av 18.1.0, so it lives in a "
    "separate venv (make test-lmms)",
)
LIMIT = 3


def _run(data: Path, output: Path, checkpoint: Path, *extra: str):
    args = f"name=qwen2_vl,pretrained={checkpoint},device=cpu,device_map=cpu"
    return run_cli("run", "--tasks", "tvbench", "--model", "lmms-eval", "--model-args", args, "--data-root", str(data),
                   "--limit", str(LIMIT), "--output", str(output), "--run-id", "lmms", "--gen-kwargs",
                   "max_new_tokens=4", "--workers", "0", *extra, env={"HF_HOME": str(output / "hf")})  # fmt: skip


@pytest.mark.skipif(HAS_LMMS_EVAL, reason="lmms-eval is installed here")
def test_backend_without_lmms_eval_says_how_to_install(tmp_path: Path):
    proc = run_cli("run", "--tasks", "demo", "--model", "lmms-eval", "--model-args", "name=qwen2_vl",
                   "--output", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2
    assert "needs lmms-eval, which is not installed" in proc.stderr and "tarsier-eval[lmms]" in proc.stderr


@NEEDS_LMMS_EVAL
@pytest.mark.slow
def test_lmms_eval_qwen2_vl_runs_in_our_runner(tmp_path: Path, shared_benchmarks: Path, tiny_checkpoint: Path):
    samples = build_tree(get_task("tvbench"), shared_benchmarks, tmp_path / "data", LIMIT)
    proc = _run(tmp_path / "data", tmp_path / "runs", tiny_checkpoint)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "runs" / "lmms"
    shard = [json.loads(x) for x in next((run / "shards" / "tvbench").glob("*.jsonl")).read_text().splitlines()]
    assert [r["sample_id"] for r in shard] == [s.sample_id for s in samples]
    assert all(r["error"] is None and isinstance(r["response"], str) for r in shard)
    assert {r["num_frames"] for r in shard} == {16}  # the task's frames, sent as images
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["model"]["class"] == "lmms_eval.models.simple.qwen2_vl.Qwen2_VL"
    assert manifest["model"]["lmms_model"] == "qwen2_vl" and manifest["model"]["fingerprint"]
    rows = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert [r["response"] for r in rows] == [r["response"] for r in shard]
    assert json.loads((run / "scores.json").read_text())["tasks"]["tvbench"]["n"] == LIMIT

    again = _run(tmp_path / "data", tmp_path / "runs", tiny_checkpoint, "--resume", str(run))
    assert again.returncode == 0, again.stderr[-3000:]
    assert len((next((run / "shards" / "tvbench").glob("*.jsonl"))).read_text().splitlines()) == LIMIT  # none redone
