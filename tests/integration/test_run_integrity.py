"""Results never mix settings, through the real CLI: shards and resumes are checked against the run fingerprint,
the manifest keeps the original command and a history, merge names missing shards and leaves the run incomplete,
annotation paths cannot leave the data folder, and `score` reads predictions strictly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tarsier_eval.demo import ensure_demo_data
from tests.support.cli import cli_env, run_cli

LIMIT = "4"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("run", "--tasks", "demo", "--output", str(tmp_path / "runs"), "--workers", "0", *args)


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


@pytest.fixture
def demo_root(tmp_path: Path, cache_dir: Path) -> Path:
    """A private copy of the demo data root, free to edit."""
    root = tmp_path / "data"
    shutil.copytree(ensure_demo_data(cache_dir), root)
    return root


def test_a_shard_with_other_settings_is_refused_and_merge_names_the_missing_shard(tmp_path, trained_checkpoint):
    run_dir = tmp_path / "runs" / "X"
    first = _run(tmp_path, "--run-id", "X", "--shard", "0/2", "--limit", LIMIT)
    assert first.returncode == 0, first.stderr[-2000:]
    other = _run(tmp_path, "--run-id", "X", "--shard", "1/2", "--limit", LIMIT, "--gen-kwargs", "max_new_tokens=2")
    assert other.returncode == 2 and "tasks.demo.generation.max_new_tokens: 8 -> 2" in other.stderr, other.stderr
    fewer = _run(tmp_path, "--run-id", "X", "--shard", "1/2", "--limit", "2")
    assert fewer.returncode == 2 and "limit: 4 -> 2" in fewer.stderr and "samples" in fewer.stderr
    assert not (run_dir / "shards" / "demo" / "rank1-of2.jsonl").exists()

    merged = run_cli("merge", str(run_dir))
    assert merged.returncode == 1 and "shards 1/2 never finished" in merged.stderr, merged.stderr
    manifest = _manifest(run_dir)
    assert manifest["status"] == "incomplete" and manifest["missing_shards"] == ["1/2"]
    assert [h["kind"] for h in manifest["history"]] == ["shard", "merge"]
    runs = run_cli("runs", "--results-root", str(tmp_path))
    assert "incomplete" in runs.stdout, runs.stdout
    gate = run_cli("gate", "--baseline", str(run_dir), "--candidate", str(run_dir), "--config", "/dev/null")
    assert gate.returncode == 1 and "incomplete" in gate.stdout, gate.stdout

    second = _run(tmp_path, "--run-id", "X", "--shard", "1/2", "--limit", LIMIT)
    assert second.returncode == 0, second.stderr[-2000:]
    assert run_cli("merge", str(run_dir)).returncode == 0
    assert _manifest(run_dir)["status"] == "complete" and _manifest(run_dir)["missing_shards"] == []


def test_allow_changed_accepts_a_named_field_and_records_it(tmp_path, trained_checkpoint):
    assert _run(tmp_path, "--run-id", "Y", "--shard", "0/2", "--limit", LIMIT).returncode == 0
    wrong = _run(tmp_path, "--run-id", "Y", "--shard", "1/2", "--limit", LIMIT, "--gen-kwargs", "max_new_tokens=2",
                 "--allow-changed", "seed")  # fmt: skip
    assert wrong.returncode == 2 and "max_new_tokens" in wrong.stderr, wrong.stderr
    ok = _run(tmp_path, "--run-id", "Y", "--shard", "1/2", "--limit", LIMIT, "--gen-kwargs", "max_new_tokens=2",
              "--allow-changed", "tasks.demo.generation")  # fmt: skip
    assert ok.returncode == 0, ok.stderr[-2000:]
    merged = run_cli("merge", str(tmp_path / "runs" / "Y"))
    manifest = _manifest(tmp_path / "runs" / "Y")
    assert manifest["history"][1]["allowed_changes"] == ["tasks.demo.generation.max_new_tokens"]
    assert any("settings changed during the run" in f for f in manifest["flags"])
    assert "settings changed during the run" in merged.stderr


def test_resume_refuses_new_settings_and_changed_annotations_and_keeps_the_command(tmp_path, demo_root,
                                                                                   trained_checkpoint):  # fmt: skip
    run_dir = tmp_path / "runs" / "R"
    first = _run(tmp_path, "--run-id", "R", "--limit", LIMIT, "--data-root", str(demo_root))
    assert first.returncode == 0, first.stderr[-2000:]
    command = _manifest(run_dir)["command"]

    changed = run_cli("run", "--resume", str(run_dir), "--gen-kwargs", "max_new_tokens=2", "--workers", "0")
    assert changed.returncode == 2 and "tasks.demo.generation.max_new_tokens" in changed.stderr, changed.stderr

    ann = demo_root / "demo" / "demo.jsonl"
    records = [json.loads(line) for line in ann.read_text().splitlines()]
    records[0]["answer"] = records[0]["candidates"][-1]
    ann.write_text("".join(json.dumps(r) + "\n" for r in records))
    edited = run_cli("run", "--resume", str(run_dir), "--workers", "0")
    assert edited.returncode == 2 and "tasks.demo.annotations.demo.jsonl" in edited.stderr, edited.stderr

    manifest = _manifest(run_dir)
    assert manifest["command"] == command and "max_new_tokens=2" not in " ".join(command)
    assert [h["kind"] for h in manifest["history"]] == ["start"]  # refused invocations leave no trace
    again = run_cli("run", "--resume", str(run_dir), "--workers", "0", "--allow-changed", "tasks.demo.annotations")
    assert again.returncode == 0, again.stderr[-2000:]
    history = _manifest(run_dir)["history"]
    assert history[1]["kind"] == "resume" and history[1]["allowed_changes"] == ["tasks.demo.annotations.demo.jsonl"]


def test_run_dir_of_an_existing_run_needs_resume(tmp_path, trained_checkpoint):
    assert _run(tmp_path, "--run-id", "Z", "--limit", "2").returncode == 0
    again = _run(tmp_path, "--run-id", "Z", "--limit", "2")
    assert again.returncode == 2 and "--resume" in again.stderr


def test_secret_model_args_are_redacted_but_generation_settings_are_not(tmp_path, trained_checkpoint):
    proc = _run(tmp_path, "--run-id", "S", "--limit", "2", "--gen-kwargs", "max_new_tokens=3")
    assert proc.returncode == 0, proc.stderr[-2000:]
    command = _manifest(tmp_path / "runs" / "S")["command"]
    assert "max_new_tokens=3" in command


def test_annotation_paths_cannot_leave_the_data_folder(tmp_path, demo_root, trained_checkpoint):
    secret = tmp_path / "outside" / "secret.mp4"
    secret.parent.mkdir()
    secret.write_bytes(b"not a video")
    ann = demo_root / "demo" / "demo.jsonl"
    records = [json.loads(line) for line in ann.read_text().splitlines()][:3]
    records[1]["video"] = "../../outside/secret.mp4"
    records[2]["video"] = "/etc/passwd"
    ann.write_text("".join(json.dumps(r) + "\n" for r in records))
    proc = _run(tmp_path, "--run-id", "P", "--data-root", str(demo_root))
    assert proc.returncode == 1, proc.stderr[-2000:]
    rows = [json.loads(line) for line in (tmp_path / "runs" / "P" / "samples.jsonl").read_text().splitlines()]
    errors = {r["sample_id"]: r["error"] for r in rows if r["status"] == "error"}
    assert errors == {
        "demo@demo.jsonl#/1": "media path '../../outside/secret.mp4' leaves the benchmark's data folder",
        "demo@demo.jsonl#/2": "media path '/etc/passwd' leaves the benchmark's data folder",
    }
    assert sum(r["status"] != "error" for r in rows) == 1  # the good record still ran


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"sample_id": "tvbench/0", "response": "A"}', '{"sample_id": "tvbench/0", "response": "B"}'],
         "already given on line 1"),
        (['{"sample_id": "tvbench/0", "response": null}'], "a failed generation needs"),
        (['{"sample_id": "tvbench/0"}'], "no 'response'"),
        (['["tvbench/0", "A"]'], "expected a JSON object, got list"),
        (['{"sample_id": "tvbench/0", "response": 3}'], "must be a string, got int"),
        (['{"sample_id": 7, "response": "A"}'], "'sample_id' must be a non-empty string"),
        (["not json"], "not JSON"),
        ([], "holds no predictions"),
    ],
)  # fmt: skip
def test_score_reads_predictions_strictly(tmp_path, shared_benchmarks, lines, message):
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(line + "\n" for line in lines))
    proc = run_cli("score", "--task", "tvbench", "--predictions", str(preds), "--data-root", str(shared_benchmarks))
    assert proc.returncode == 2 and message in proc.stderr and f"{preds}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_score_duplicates_first_or_last_by_choice(tmp_path, shared_benchmarks):
    sid = "tvbench/" + json.loads((shared_benchmarks / "TVBench" / "full.TVBench_tarsier-format.jsonl")
                                  .read_text().splitlines()[0])["idx"].__str__()  # fmt: skip
    preds = tmp_path / "p.jsonl"
    preds.write_text(f'{{"sample_id": "{sid}", "response": "zzz"}}\n{{"sample_id": "{sid}", "response": "A"}}\n')
    parsed = {}
    for rule in ("first", "last"):
        out = tmp_path / rule
        proc = run_cli("score", "--task", "tvbench", "--predictions", str(preds), "--data-root",
                       str(shared_benchmarks), "--on-duplicate", rule, "--output", str(out))  # fmt: skip
        assert proc.returncode == 1, proc.stderr  # the other samples have no prediction
        row = next(json.loads(r) for r in (out / "samples.jsonl").read_text().splitlines() if sid in r)
        parsed[rule] = row["response"]
    assert parsed == {"first": "zzz", "last": "A"}


def test_a_closed_pipe_ends_quietly(shared_benchmarks):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tarsier_eval", "samples", "--task", "tvbench", "--data-root", str(shared_benchmarks)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and b"Traceback" not in err, err.decode()[-2000:]
