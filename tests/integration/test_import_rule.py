"""Offline commands start fast: `--help`, `tasks`, `samples`, `score` without a judge, `table`, `runs`, `gate`,
`compare` and `data check` never import torch, transformers or openai (they cost seconds and hundreds of MB before
any work); neither does the Python API, and `import tarsier_eval` imports nothing at all (not even pandas)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import cli_env
from tests.unit.test_report_fixtures import tvbench_run

HEAVY = ("torch", "transformers", "openai", "torchvision", "decord", "sentence_transformers")
PROBE = f"""
HEAVY = {HEAVY!r}
import contextlib, io, json, sys
from tarsier_eval.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({{"code": code, "heavy": [m for m in HEAVY if m in sys.modules]}}))
"""


def _imports(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=cli_env(),
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory, shared_benchmarks) -> Path:
    root = tmp_path_factory.mktemp("results")
    tvbench_run(root, shared_benchmarks, "a", set(range(40)), limit=120)
    tvbench_run(root, shared_benchmarks, "b", set(range(60)), limit=120)
    return root


def test_offline_commands_import_no_heavy_package(tmp_path, runs_root, shared_benchmarks):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"sample_id": "tempcompass/multi-choice/1034419625/action/0", "response": "A"}) + "\n")
    data = str(shared_benchmarks)
    root = str(runs_root)
    commands = {
        "--help": ["--help"],
        "tasks": ["tasks"],
        "samples": ["samples", "--task", "tvbench", "--data-root", data, "--limit", "3"],
        "score": ["score", "--task", "tempcompass", "--predictions", str(preds), "--data-root", data],
        "table": ["table", "--layout", "short-qa", "--runs", "a", "--results-root", root],
        "runs": ["runs", "--results-root", root],
        "gate": ["gate", "--baseline", "a", "--candidate", "b", "--results-root", root],
        "compare": ["compare", "a", "b", "--task", "tvbench", "--results-root", root],
        "data check": ["data", "check", "--tasks", "tvbench", "--data-root", data, "--probe"],
    }
    for name, args in commands.items():
        result = _imports(*args)
        assert result["heavy"] == [], f"`tarsier-eval {name}` imported {result['heavy']}"


API_PROBE = f"""
HEAVY = {HEAVY!r}
import json, sys
import tarsier_eval as te
light = [m for m in ("pandas", "tarsier_eval.api", *HEAVY) if m in sys.modules]
data, root = sys.argv[1], sys.argv[2]
preds = [{{"sample_id": s, "response": "A"}} for s in te.samples("tvbench", data, limit=20).sample_id]
te.score("tvbench", preds, data_root=data).samples
te.runs(root), te.load_run("a", root).samples, te.table("short-qa", ["a"], results_root=root, format="dataframe")
print(json.dumps({{"light": light, "heavy": [m for m in HEAVY if m in sys.modules]}}))
"""


def test_the_python_api_imports_no_heavy_package(runs_root, shared_benchmarks):
    from tarsier_eval.report.index import reindex

    reindex(runs_root)
    proc = subprocess.run([sys.executable, "-c", API_PROBE, str(shared_benchmarks), str(runs_root)],
                          capture_output=True, text=True, env=cli_env(), timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"light": [], "heavy": []}
