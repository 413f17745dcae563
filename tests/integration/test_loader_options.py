"""`--loader-options` reaches the loader (VideoHallucer's 2025 temporal file vs the older 200-pair one)."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli


def test_videohallucer_temporal_version_from_the_cli(shared_benchmarks: Path):
    latest = run_cli("samples", "--task", "videohallucer", "--data-root", str(shared_benchmarks))
    older = run_cli("samples", "--task", "videohallucer", "--data-root", str(shared_benchmarks),
                    "--loader-options", "temporal=pre2025-10")  # fmt: skip
    assert latest.returncode == 0 and older.returncode == 0, older.stderr
    assert len(older.stdout.splitlines()) - len(latest.stdout.splitlines()) == 2 * (200 - 176)
    bad = run_cli("samples", "--task", "videohallucer", "--data-root", str(shared_benchmarks),
                  "--loader-options", "bogus=1")  # fmt: skip
    assert bad.returncode == 2 and "takes no option ['bogus']" in bad.stderr
