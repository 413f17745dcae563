"""examples/ci/tiny-gate.sh end to end: the gate rejects the under-trained `early` checkpoint against the trained
one (paired bootstrap over the demo's 32 clips) and accepts a re-run of the trained one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli import REPO, cli_env

SCRIPT = REPO / "examples" / "ci" / "tiny-gate.sh"


def _gate(candidate: str, results: Path) -> subprocess.CompletedProcess:
    env = cli_env({"RESULTS": str(results), "TARSIER_EVAL": f"{sys.executable} -m tarsier_eval"})
    return subprocess.run(["bash", str(SCRIPT), candidate], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=600)  # fmt: skip


def test_the_gate_rejects_the_early_checkpoint_and_accepts_a_rerun(tmp_path: Path, trained_checkpoint: Path):
    early = _gate("early", tmp_path)
    assert early.returncode == 1, early.stdout[-2000:] + early.stderr[-2000:]
    assert "significant regression" in early.stdout
    rerun = _gate("trained", tmp_path)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert "significant regression" not in rerun.stdout
    assert len(list(tmp_path.glob("tiny-candidate-*"))) == 2 and (tmp_path / "tiny-baseline").is_dir()
