"""Several run dirs of one model as one run (`a,b,c` / `LABEL=a,b,c`): tasks side by side, conflicts refused."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tarsier_eval.errors import UsageError
from tarsier_eval.report.gate import GateConfig, gate_reference
from tarsier_eval.report.reference import load_reference
from tarsier_eval.report.render import render
from tarsier_eval.report.runs import resolve_runs
from tarsier_eval.report.tables import build_view
from tarsier_eval.scoring.types import TaskScores
from tests.unit.test_report_fixtures import write_run


def _ts(task: str, value: float) -> TaskScores:
    return TaskScores(task, "accuracy", {"overall": {"accuracy": value}}, [])


def _score_only(root: Path, run_id: str, task: str, value: float) -> Path:
    """A `tarsier-eval score --output` dir: no model in the manifest."""
    path = write_run(root, run_id, [_ts(task, value)], [{"sample_id": f"{task}/1", "task": task, "score": 1.0}])
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, "model": None}))
    return path


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    write_run(tmp_path, "full", [_ts("tvbench", 55.0)], [{"sample_id": "tvbench/1", "task": "tvbench", "score": 1}])
    _score_only(tmp_path, "tomato-only", "tomato", 41.5)
    _score_only(tmp_path, "mvbench-only", "mvbench", 70.26)
    write_run(tmp_path, "other-fp", [_ts("mvbench", 1.0)], fingerprint="cd" * 32)
    write_run(tmp_path, "other-name", [_ts("mvbench", 1.0)], model="another-model")
    return tmp_path


def test_score_only_dirs_join_a_model_run_in_one_row(root):
    run = resolve_runs("full,tomato-only,mvbench-only", root)
    assert run.run_id == "full+tomato-only+mvbench-only" and run.model == "tiny-qwen2-vl"
    assert set(run.scores) == {"tvbench", "tomato", "mvbench"}
    assert [s.task for s in run.samples] == ["tvbench", "tomato", "mvbench"]
    assert run.manifest.config["merged_from"] == [
        str(root / "runs" / n) for n in ("full", "tomato-only", "mvbench-only")
    ]
    lines = csv.DictReader(
        io.StringIO(render(build_view("short-qa", load_reference(), [run], with_reference=False), "csv"))
    )
    values = {x["part"]: x["value"] for x in lines if x["model"] == "tiny-qwen2-vl"}
    assert values == {"mvbench": "70.3", "perceptiontest": "", "tvbench": "55.0", "tomato": "41.5"} | {
        p: "" for p in ("vinoground_text", "vinoground_video", "vinoground_group")
    } | {f"tempcompass_{k}": "" for k in ("mc", "yn", "cm", "cg")}


def test_label_and_score_only_dirs_alone(root):
    run = resolve_runs("Ours=tomato-only,mvbench-only", root)
    assert run.run_id == run.model == "Ours" and run.manifest.model is None
    assert resolve_runs("tomato-only", root).model == "tomato-only"  # one dir: unchanged, labelled by its id
    labelled = resolve_runs("Mine (7B)=full,tomato-only", root)  # a label names the row even when a model is known
    assert labelled.model == "tiny-qwen2-vl"
    view = build_view("short-qa", load_reference(), [labelled], with_reference=True)
    assert view.rows[-1].model == "Mine (7B)" and view.rows[-1].values["tomato"].text == "41.5"
    with pytest.raises(UsageError, match="empty label"):
        resolve_runs("=tomato-only", root)


@pytest.mark.parametrize("other", ["other-fp", "other-name"])
def test_runs_of_different_models_do_not_merge(root, other):
    with pytest.raises(UsageError, match="different models"):
        resolve_runs(f"full,{other}", root)


def test_the_same_task_twice_is_refused(root):
    with pytest.raises(UsageError, match="task mvbench is in both mvbench-only and other-fp"):
        resolve_runs("mvbench-only,other-fp", root)


def test_a_merged_run_gates_against_the_paper(root):
    checks = gate_reference(resolve_runs("full,tomato-only", root), load_reference(), "tarsier2-7b", GateConfig())
    got = {(c.task, c.metric): (c.baseline, c.candidate) for c in checks}
    assert got == {("tvbench", "accuracy"): (54.7, 55.0), ("tomato", "accuracy"): (42.0, 41.5)}
