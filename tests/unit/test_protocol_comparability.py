"""Numbers scored under different protocols do not stand side by side silently: tables mark the run and say why,
gates refuse the comparison unless --allow-protocol-mismatch, compare warns."""

from __future__ import annotations

from tarsier_eval.report.compare import to_markdown
from tarsier_eval.report.gate import GateConfig, gate_reference, gate_runs
from tarsier_eval.report.reference import load_reference
from tarsier_eval.report.render import render
from tarsier_eval.report.runs import load_run
from tarsier_eval.report.tables import build_view
from tarsier_eval.scoring.types import TaskScores
from tests.unit.test_report_fixtures import write_run

METRICS = {"overall": {"accuracy": 54.7}}


def _run(tmp_path, run_id: str, protocol: str | None):
    scores = [TaskScores("tvbench", "accuracy", METRICS, [], protocol=protocol)]
    return load_run(write_run(tmp_path, run_id, scores, model=run_id))


def test_tables_mark_a_run_scored_under_another_protocol(tmp_path):
    same, other = _run(tmp_path, "same", None), _run(tmp_path, "other", "lmms-eval=lmms-eval@7")
    text = render(build_view("short-qa", load_reference(), [same, other], with_reference=True), "md")
    assert "§ other" in text and "tvbench scored under lmms-eval@7" in text
    assert "§ same" not in text and "| other§ | - | - | 54.7 |" in text  # a flagged row takes no bold mark
    alone = render(build_view("short-qa", load_reference(), [other], with_reference=False), "md")
    assert "§" not in alone  # nothing published beside it to be confused with


def test_gates_refuse_a_protocol_mismatch_unless_allowed(tmp_path):
    same, other = _run(tmp_path, "same", None), _run(tmp_path, "other", "lmms-eval=lmms-eval@7")
    cfg = GateConfig(min_n=0)
    refused = [c for c in gate_reference(other, load_reference(), "tarsier2-7b", cfg) if c.metric == "protocol"]
    assert len(refused) == 1 and not refused[0].passed and "protocol mismatch" in refused[0].reason
    allowed = [c for c in gate_reference(other, load_reference(), "tarsier2-7b", cfg, True) if c.metric == "protocol"]
    assert allowed[0].passed and "allowed" in allowed[0].reason
    assert not [c for c in gate_reference(same, load_reference(), "tarsier2-7b", cfg) if c.metric == "protocol"]
    between = [c for c in gate_runs(same, other, cfg) if c.metric == "protocol"]
    assert len(between) == 1 and not between[0].passed
    assert "Warning" in to_markdown(same, other, "tvbench", [])
