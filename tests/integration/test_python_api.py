"""The Python API (tarsier_eval.api) against the command line: the same numbers, rows and tables, as DataFrames."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tarsier_eval as te
from tarsier_eval.errors import UsageError
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge
from tarsier_eval.report import index
from tests.support.cli import REPO, cli_env, run_cli
from tests.support.judge_server import JudgeServer, autodq_rule
from tests.unit.test_report_fixtures import tvbench_run


def tvbench_predictions(shared: Path) -> list[dict]:
    """Replies for 300 of the 2,525 TVBench questions in several forms, one failed generation, the rest missing."""
    frame = te.samples("tvbench", shared)
    preds: list[dict] = []
    for i, row in enumerate(frame.head(300).itertuples()):
        letter = row.answer if i % 3 else "B" if row.answer == "A" else "A"
        preds.append({"sample_id": row.sample_id, "response": [f"{letter})", f"{letter}", f"({letter}) x"][i % 3]})
    preds[7] = {"sample_id": preds[7]["sample_id"], "response": None, "error": "CUDA out of memory"}
    preds.append({"sample_id": "tvbench/no-such-sample", "response": "A"})
    return preds


def cli_score(tmp_path: Path, preds: list[dict], shared: Path, *extra: str) -> tuple[dict, list[dict]]:
    path = tmp_path / "cli-preds.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds))
    out = tmp_path / "cli-out"
    proc = run_cli("score", "--task", "tvbench", "--predictions", str(path), "--data-root", str(shared),
                   "--output", str(out), *extra)  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]  # the samples without a prediction
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return json.loads((out / "scores.json").read_text())["tasks"]["tvbench"], rows


def frame_rows(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))  # NaN -> null, as samples.jsonl writes it


def test_score_from_a_list_a_path_and_a_dataframe_matches_the_cli(tmp_path, shared_benchmarks):
    preds = tvbench_predictions(shared_benchmarks)
    entry, rows = cli_score(tmp_path, preds, shared_benchmarks, "--protocol", "official",
                           "--score-options", "empty_is_wrong=true")  # fmt: skip
    path = tmp_path / "api-preds.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds))
    frame = pd.DataFrame(preds)  # the error column is NaN where a row has none
    assert frame["error"].isna().sum() == len(preds) - 1
    results = [te.score("tvbench", given, data_root=shared_benchmarks, protocol="official",
                        options={"empty_is_wrong": True})
               for given in (preds, path, str(path), frame)]  # fmt: skip
    for result in results:
        assert result.entry.to_json() == entry
        assert frame_rows(result.samples) == rows
        assert result.failed
    r = results[0]
    assert r.headline == "accuracy" and r.headline_value == entry["metrics"]["overall"]["accuracy"]
    assert r.counts["n_missing"] == 2525 - 300 and r.counts["n_errors"] == 1
    assert any("1 predictions name no sample of tvbench" in note for note in r.notes)
    assert list(r.samples.columns) == ["sample_id", "task", "subset", "video", "prompt", "response", "parsed",
                                       "score", "status", "error", "detail"]  # fmt: skip
    by_subset = r.samples.groupby("subset")["score"].mean() * 100  # the per-subset accuracies, from the rows
    assert by_subset.to_dict() == pytest.approx({s: m["accuracy"] for s, m in r.metrics.items() if s != "overall"})
    long = r.metrics_frame
    assert len(long) == sum(len(m) for m in r.metrics.values()) and set(long.columns) == {"task", "subset", "metric",
                                                                                          "value"}  # fmt: skip


def test_score_output_writes_the_run_dir_the_cli_writes(tmp_path, shared_benchmarks):
    preds = tvbench_predictions(shared_benchmarks)
    entry, rows = cli_score(tmp_path, preds, shared_benchmarks)
    te.score("tvbench", pd.DataFrame(preds), data_root=shared_benchmarks, output=tmp_path / "api-out")
    run = te.load_run(tmp_path / "api-out")
    assert run.scores["tvbench"].to_json() == entry and frame_rows(run.samples) == rows
    assert run.manifest.status == "complete" and run.manifest.config["predictions"] == "<DataFrame>"


def test_predictions_are_checked_as_the_cli_checks_them(shared_benchmarks):
    with pytest.raises(UsageError, match=r"predictions\[1\]: no 'response' for tvbench/1"):
        te.score("tvbench", [{"sample_id": "tvbench/0", "response": "A"}, {"sample_id": "tvbench/1"}],
                 data_root=shared_benchmarks)  # fmt: skip
    dup = pd.DataFrame({"sample_id": ["tvbench/0", "tvbench/0"], "response": ["A", "B"]}, index=[10, 11])
    with pytest.raises(UsageError, match="predictions row 11: tvbench/0 was already given on predictions row 10"):
        te.score("tvbench", dup, data_root=shared_benchmarks)
    last = te.score("tvbench", dup, data_root=shared_benchmarks, on_duplicate="last")
    assert last.samples.set_index("sample_id").loc["tvbench/0", "response"] == "B"
    official = te.score("tvbench", dup, data_root=shared_benchmarks, on_duplicate="first", protocol="official")
    assert official.entry.protocol == "official@1"
    with pytest.raises(UsageError, match="has no protocol 'nosuch'"):
        te.score("tvbench", dup, data_root=shared_benchmarks, on_duplicate="first", protocol="nosuch")
    with pytest.raises(TypeError, match="a list of dicts, a JSONL path or a pandas DataFrame"):
        te.score("tvbench", {"tvbench/0": "A"}, data_root=shared_benchmarks)


def test_a_judge_from_settings_or_an_object_scores_as_the_cli(tmp_path, shared_benchmarks, monkeypatch):
    monkeypatch.setenv("TE_JUDGE_KEY", "sk-test")
    frame = te.samples("dream1k", shared_benchmarks, limit=4)
    preds = pd.DataFrame({"sample_id": frame.sample_id, "response": frame.answer})
    path = tmp_path / "p.jsonl"
    preds.to_json(path, orient="records", lines=True)
    with JudgeServer(autodq_rule) as server:
        proc = run_cli("score", "--task", "dream1k", "--predictions", str(path), "--data-root", str(shared_benchmarks),
                       "--output", str(tmp_path / "cli"), "--judge-base-url", server.url, "--judge-model", "j",
                       "--judge-api-key-env", "TE_JUDGE_KEY", "--no-judge-cache", env={"TE_JUDGE_KEY": "sk-test"})  # fmt: skip
        assert proc.returncode == 1, proc.stderr[-2000:]
        settings = {"model": "j", "base_url": server.url, "api_key_env": "TE_JUDGE_KEY", "cache": None}
        by_settings = te.score("dream1k", preds, data_root=shared_benchmarks, judge=settings)
        judge = OpenAIJudge(JudgeConfig(model="j", base_url=server.url, api_key_env="TE_JUDGE_KEY"))
        by_object = te.score("dream1k", preds, data_root=shared_benchmarks, judge=judge)
        assert server.count == 3 * 4 * 3  # three scorings, no cache: extraction + 2 entailment calls per clip
    cli = json.loads((tmp_path / "cli" / "scores.json").read_text())["tasks"]["dream1k"]
    assert by_settings.metrics == by_object.metrics == cli["metrics"] and cli["n_judge_failed"] == 0
    with pytest.raises(UsageError, match=r"judge settings \['temperature'\] are unknown"):
        te.score("dream1k", preds, data_root=shared_benchmarks, judge={"model": "j", "temperature": 0})


def test_samples_are_the_sample_export_as_a_dataframe(shared_benchmarks):
    frame = te.samples("videohallucer", shared_benchmarks, limit=20)
    proc = run_cli("samples", "--task", "videohallucer", "--data-root", str(shared_benchmarks), "--limit", "20")
    exported = [json.loads(line) for line in proc.stdout.splitlines()]
    assert list(frame.columns) == ["sample_id", "task", "subset", "video", "prompt", "options", "answer",
                                   "source_file", "source_pointer"]  # fmt: skip
    flat = [{**{k: v for k, v in e.items() if k != "source"}, "source_file": e["source"]["file"],
             "source_pointer": e["source"]["pointer"]} for e in exported]  # fmt: skip
    assert frame_rows(frame) == flat and frame.attrs["issues"] == []
    assert frame.source_pointer.iloc[1] == "/0/hallucination"


def test_samples_warn_about_records_that_could_not_be_loaded(tmp_path, shared_benchmarks):
    lines = (shared_benchmarks / "TVBench" / "full.TVBench_tarsier-format.jsonl").read_text().splitlines()[:5]
    (tmp_path / "TVBench").mkdir()
    (tmp_path / "TVBench" / "TVBench.jsonl").write_text("\n".join([*lines[:2], "{broken", *lines[2:]]) + "\n")
    with pytest.warns(UserWarning, match="1 annotation records could not be loaded"):
        frame = te.samples("tvbench", tmp_path)
    assert len(frame) == 5 and frame.attrs["issues"] == ["TVBench.jsonl#/2: malformed JSON line 3: Expecting "
                                                         "property name enclosed in double quotes"]  # fmt: skip


@pytest.fixture(scope="module")
def results_root(tmp_path_factory, shared_benchmarks) -> Path:
    root = tmp_path_factory.mktemp("results")
    tvbench_run(root, shared_benchmarks, "a", set(range(40)), limit=120)
    tvbench_run(root, shared_benchmarks, "b", set(range(60)), limit=120)
    index.reindex(root)
    return root


def test_runs_is_the_index_one_row_per_run_task_subset_metric(results_root):
    frame = te.runs(results_root)
    assert sorted(frame.run_id.unique()) == ["a", "b"]
    assert not frame.duplicated(["run_id", "task", "subset", "metric"]).any()
    for run_id in ("a", "b"):
        rows = index.query(results_root, run_id)
        assert len(frame[frame.run_id == run_id]) == len(rows)
        scores = json.loads((results_root / "runs" / run_id / "scores.json").read_text())["tasks"]["tvbench"]
        got = frame.query("run_id == @run_id and subset == 'overall' and metric == 'accuracy'")["value"]
        assert got.item() == pytest.approx(scores["metrics"]["overall"]["accuracy"])
    listed = json.loads(run_cli("runs", "--json", "--results-root", str(results_root)).stdout)
    assert {r["run_id"]: r["status"] for r in listed} == frame.groupby("run_id")["status"].first().to_dict()
    assert (frame.path.map(lambda p: Path(p).name) == frame.run_id).all()
    empty = te.runs(results_root / "nothing-here")
    assert empty.empty and list(empty.columns) == list(frame.columns)
    assert not (results_root / "nothing-here").exists()


def test_load_run_reads_scores_samples_and_manifest(results_root):
    run = te.load_run("a", results_root)
    disk = results_root / "runs" / "a"
    assert run.run_id == "a" and run.manifest.model_name == "tiny-qwen2-vl" and run.flags == []
    assert run.scores["tvbench"].to_json() == te.load_run(disk).scores["tvbench"].to_json()
    assert frame_rows(run.samples) == [json.loads(line) for line in (disk / "samples.jsonl").read_text().splitlines()]
    assert run.samples.status.eq("ok").all() and run.samples.score.sum() == 80  # 120 questions, 40 made wrong
    assert len(run.metrics) == sum(len(m) for m in run.scores["tvbench"].metrics.values())


def test_table_is_the_cli_table_as_text_or_numbers(results_root):
    for fmt in ("md", "html", "csv", "latex"):
        cli = run_cli("table", "--layout", "short-qa", "--runs", "a", "--with-reference", "--format", fmt,
                      "--results-root", str(results_root))  # fmt: skip
        api = te.table("short-qa", ["a"], with_reference=True, format=fmt, results_root=results_root)
        assert cli.returncode == 0 and api == cli.stdout, fmt
    frame = te.table("short-qa", [te.load_run("a", results_root)], with_reference=True, format="dataframe")
    text = te.table("short-qa", ["a"], with_reference=True, format="csv", results_root=results_root)
    csv_frame = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)
    assert list(frame.columns) == list(csv_frame.columns) and len(frame) == len(csv_frame)
    ours = frame[frame.model == "tiny-qwen2-vl"]
    assert ours.value.dtype == float and not ours.empty
    printed = pd.to_numeric(csv_frame[csv_frame.model == "tiny-qwen2-vl"].value)
    pd.testing.assert_series_equal(ours.value.reset_index(drop=True), printed.reset_index(drop=True))
    split = te.table("summary", ["a"], split=2, results_root=results_root)
    assert split == run_cli("table", "--layout", "summary", "--runs", "a", "--split", "2", "--results-root",
                            str(results_root)).stdout  # fmt: skip


def test_the_documented_example_runs_without_torch(tmp_path, cache_dir):
    """docs/python-api.md's example, executed as written, in a fresh process; no model means no torch."""
    doc = (REPO / "docs" / "python-api.md").read_text()
    code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    probe = (
        code + "\nimport sys\nprint('HEAVY', [m for m in ('torch', 'transformers', 'openai') if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                          env=cli_env({"TARSIER_EVAL_CACHE": str(cache_dir)}), timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ScoreResult(demo: accuracy=" in proc.stdout and "HEAVY []" in proc.stdout
    assert (tmp_path / "results" / "runs" / "first-option" / "scores.json").is_file()
