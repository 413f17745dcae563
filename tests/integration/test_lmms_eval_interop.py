"""lmms-eval interoperability through the real CLI: importing --log_samples files (fixtures written by lmms-eval
0.7.3's own code, tests/fixtures/lmms_eval/SOURCE.md), exporting a run in that layout and reading it back."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.integration.test_import_rule import _imports
from tests.support.cli import run_cli

LOGS = FIXTURES / "lmms_eval" / "Qwen__Qwen2-VL-7B-Instruct"
EXPECTED = json.loads((FIXTURES / "lmms_eval" / "expected.json").read_text())
HAS_LMMS_EVAL = importlib.util.find_spec("lmms_eval") is not None


def data_root(task: str, shared: Path) -> Path:
    return {"mvbench": FIXTURES / "mvbench", "videomme": FIXTURES / "videomme"}.get(task, shared)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score_from_logs(task: str, shared: Path, output: Path, *extra: str, logs: Path = LOGS):
    return run_cli("score", "--task", task, "--from", "lmms-eval", str(logs), "--data-root", str(data_root(task, shared)),
                   "--output", str(output), *extra)  # fmt: skip


def logged_replies(task: str) -> dict[tuple[str, int], str]:
    """(lmms-eval task, doc_id) -> the reply as logged, from the fixture files of `task`."""
    replies = {}
    for path in sorted(LOGS.glob(f"*_samples_{task}*.jsonl")):
        lmms_task = path.stem.split("_samples_")[1]
        for row in lines(path):
            reply = row["filtered_resps"]
            replies[(lmms_task, row["doc_id"])] = reply[0] if isinstance(reply, list) else reply
    return replies


@pytest.mark.parametrize("task", ["tvbench", "mvbench", "videomme", "tempcompass"])
def test_import_maps_documents_by_content(task: str, shared_benchmarks: Path, tmp_path: Path):
    out = tmp_path / "run"
    proc = score_from_logs(task, shared_benchmarks, out, "--on-duplicate", "first")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1: the task's other samples are missing
    mapping = lines(out / "lmms-eval-mapping.jsonl")
    mapped = [m for m in mapping if m["status"] in ("mapped", "grouped")]
    assert sorted(m["sample_id"] for m in mapped) == sorted(EXPECTED[task])
    assert [m["status"] for m in mapping].count("unmapped") == 1
    assert [m["status"] for m in mapping].count("duplicate") == 1
    replies = logged_replies(task)
    predictions = {p["sample_id"]: p["response"] for p in lines(out / "predictions.lmms-eval.jsonl")}
    assert predictions == {m["sample_id"]: replies[(m["lmms_task"], m["doc_id"])] for m in mapped}
    rows = {r["sample_id"]: r for r in lines(out / "samples.jsonl")}
    assert {sid for sid, r in rows.items() if r["response"] is not None} == set(EXPECTED[task])
    notes = json.loads((out / "scores.json").read_text())["tasks"][task]["notes"]
    assert any(n.startswith("lmms-eval import:") and "1 matched no sample" in n for n in notes), notes
    assert "matched no sample and were left out" in proc.stderr


def test_groups_the_log_cannot_tell_apart_are_reported(shared_benchmarks: Path, tmp_path: Path):
    out = tmp_path / "run"
    proc = score_from_logs("tvbench", shared_benchmarks, out, "--on-duplicate", "first")
    grouped = [m for m in lines(out / "lmms-eval-mapping.jsonl") if m["status"] == "grouped"]
    assert [(m["doc_id"], m["sample_id"]) for m in grouped] == [(0, "tvbench/0"), (1, "tvbench/1")]
    assert "cannot tell apart" in proc.stderr
    # the v0.3 line names its video: doc 1 of Action Count is tvbench/321 (answer "2", which lmms-eval's
    # target turns into C), not tvbench/378 (same question and options, answer C)
    count = {m["doc_id"]: m["sample_id"] for m in lines(out / "lmms-eval-mapping.jsonl")
             if m["lmms_task"] == "tvbench_action_count"}  # fmt: skip
    assert count == {0: "tvbench/320", 1: "tvbench/321", 2: "tvbench/322"}


def test_ambiguous_document_is_an_error_unless_skipped(shared_benchmarks: Path, tmp_path: Path):
    logs = FIXTURES / "lmms_eval" / "ambiguous"
    proc = score_from_logs("tvbench", shared_benchmarks, tmp_path / "a", logs=logs)
    assert proc.returncode == 2
    assert "match several samples that score differently" in proc.stderr and "doc 1" in proc.stderr
    assert "--on-ambiguous skip" in proc.stderr
    proc = score_from_logs("tvbench", shared_benchmarks, tmp_path / "b", "--on-ambiguous", "skip", logs=logs)
    assert proc.returncode == 2  # nothing left to score
    assert "no document of the lmms-eval logs matched a sample" in proc.stderr


def test_duplicate_document_is_an_error_by_default(tmp_path: Path):
    proc = score_from_logs("videomme", Path(), tmp_path / "run")
    assert proc.returncode == 2
    assert "samples_videomme.jsonl:11 (videomme doc 1) is the same videomme/001-2 as" in proc.stderr
    assert "--on-duplicate" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "lmms-eval"], "needs the lmms-eval samples files"),
        ([str(LOGS)], "are read with --from lmms-eval"),
        (["--from", "lmms-eval", str(LOGS), "--predictions", "p.jsonl"], "not both"),
        (["--from", "lmms-eval", str(FIXTURES / "videomme" / "SOURCE.md")], "cannot tell which lmms-eval task"),
        (["--from", "lmms-eval", str(FIXTURES / "lmms_eval" / "ambiguous")], "no lmms-eval samples file of videomme"),
    ],
)
def test_import_usage_errors(args: list[str], message: str):
    proc = run_cli("score", "--task", "videomme", "--data-root", str(FIXTURES / "videomme"), *args)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_export_round_trip(shared_benchmarks: Path, tmp_path: Path):
    run = tmp_path / "runs" / "imported"
    assert score_from_logs("tempcompass", shared_benchmarks, run, "--on-duplicate", "last").returncode == 1
    proc = run_cli("export", "--format", "lmms-eval", str(run), "--output", str(tmp_path / "export"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    folder = tmp_path / "export" / "tarsier-eval__imported"
    files = sorted(p.name for p in folder.iterdir())
    assert [f.split("_samples_")[-1] for f in files if "_samples_" in f] == [
        "tempcompass_caption_matching.jsonl", "tempcompass_multi_choice.jsonl", "tempcompass_yes_no.jsonl"]  # fmt: skip
    again = tmp_path / "runs" / "again"
    assert score_from_logs("tempcompass", shared_benchmarks, again, logs=folder).returncode == 1
    first, second = (json.loads((d / "scores.json").read_text())["tasks"]["tempcompass"] for d in (run, again))
    assert second["metrics"] == first["metrics"]
    replies = {p["sample_id"]: p["response"] for p in lines(again / "predictions.lmms-eval.jsonl")}
    assert replies == {p["sample_id"]: p["response"] for p in lines(run / "predictions.lmms-eval.jsonl")}
    results = json.loads(next(folder.glob("*_results.json")).read_text())
    assert results["results"]["tempcompass"][f"{first['headline']},none"] == first["headline_value"]
    yes_no = first["metrics"]["yes_no"]["accuracy"]
    assert results["results"]["tempcompass_yes_no"] == {"alias": "tempcompass_yes_no", "accuracy,none": yes_no}
    assert results["n-samples"]["tempcompass_yes_no"] == {"original": 3, "effective": 3}


@pytest.mark.skipif(not HAS_LMMS_EVAL, reason="lmms-eval is not installed (make test-lmms installs it)")
def test_lmms_eval_reads_the_export(shared_benchmarks: Path, tmp_path: Path):
    from lmms_eval.baselines.loader import load_baseline

    run = tmp_path / "runs" / "imported"
    score_from_logs("videomme", shared_benchmarks, run, "--on-duplicate", "first")
    assert run_cli("export", "--format", "lmms-eval", str(run), "--output", str(tmp_path / "x")).returncode == 0
    samples = next((tmp_path / "x").rglob("*_samples_videomme.jsonl"))
    scores, aggregated = load_baseline(str(samples), "videomme")
    ours = {r["sample_id"]: r["score"] for r in lines(run / "samples.jsonl")}
    exported = {row["doc_id"]: row["tarsier_eval"]["sample_id"] for row in lines(samples)}
    assert {exported[d]: s for d, s in scores.items()} == ours
    assert aggregated["tarsier_eval"]["run_id"] == "imported"


def test_import_and_export_import_no_heavy_package(shared_benchmarks: Path, tmp_path: Path):
    run = tmp_path / "run"
    args = ["score", "--task", "videomme", "--from", "lmms-eval", str(LOGS), "--data-root", str(FIXTURES / "videomme"),
            "--on-duplicate", "first", "--output", str(run)]  # fmt: skip
    assert _imports(*args) == {"code": 0, "heavy": []}
    assert _imports("export", "--format", "lmms-eval", str(run)) == {"code": 0, "heavy": []}
