"""benchmarks/gpu.py cannot be measured here (no GPU); its --smoke mode runs the same code on CPU, so the script
works when a GPU box runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli import REPO, cli_env


def test_gpu_benchmark_runs_end_to_end_in_smoke_mode(tiny_checkpoint: Path):
    proc = subprocess.run(
        [sys.executable, "benchmarks/gpu.py", "--smoke", "--batch-sizes", "1,2", "--samples", "2", "--new-tokens", "3"],
        capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "device: cpu (smoke run)  images per sample: 16 of " in proc.stdout  # 16 frames, each one image
    assert "batch 1: " in proc.stdout and "batch 2: " in proc.stdout
