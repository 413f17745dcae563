"""`tarsier-eval data check` through the real CLI on data roots with missing, zero-byte, undecodable media and a
malformed annotation line; the official checksums recorded in the task YAMLs against the real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval.data.files import sha256_file
from tarsier_eval.data.load import load_samples
from tarsier_eval.data.loaders.videohallucer import PRE_2025_10
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import all_tasks, get_task
from tarsier_eval.sources import parse_sources
from tests.support.cli import run_cli
from tests.support.trees import write_sample_media

N = 8


def tvbench_root(tmp_path: Path, shared: Path) -> tuple[Path, list[str]]:
    """<tmp>/data/TVBench: the first N real TVBench records and a decodable clip for each; (data root, videos)."""
    lines = (shared / "TVBench" / "full.TVBench_tarsier-format.jsonl").read_text().splitlines()[:N]
    root = tmp_path / "data"
    (root / "TVBench").mkdir(parents=True)
    (root / "TVBench" / "TVBench.jsonl").write_text("".join(line + "\n" for line in lines))
    samples = load_samples(get_task("tvbench"), root).samples
    write_sample_media(root / "TVBench", samples)
    return root, [s.video for s in samples]


def check(*args: str):
    return run_cli("data", "check", *args)


def test_a_complete_task_exits_0_and_a_changed_annotation_file_is_flagged(tmp_path, shared_benchmarks):
    root, videos = tvbench_root(tmp_path, shared_benchmarks)
    proc = check("--tasks", "tvbench", "--data-root", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "== tvbench (TVBench): complete" in out and "1 of 1 tasks complete" in out
    assert f"records: {N} loaded, 0 malformed" in out
    assert f"media: {len(set(videos))} referenced, {len(set(videos))} found, 0 missing, 0 empty" in out
    # the first 8 lines are not the official file: usable, but the numbers would not compare with published ones
    assert "TVBench.jsonl: sha256" in out and "DIFFERS from the official file (04183b1e2e26" in out
    assert "download:" not in out


def test_missing_zero_byte_and_malformed_items_are_named(tmp_path, shared_benchmarks):
    root, videos = tvbench_root(tmp_path, shared_benchmarks)
    task_root = root / "TVBench"
    (task_root / videos[1]).unlink()
    (task_root / videos[2]).write_bytes(b"")
    ann = task_root / "TVBench.jsonl"
    lines = ann.read_text().splitlines()
    ann.write_text("\n".join([*lines[:3], '{"messages": [', *lines[3:]]) + "\n")
    (task_root / "video.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip, as a snapshot would leave one
    proc = check("--tasks", "tvbench", "--data-root", str(root))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "== tvbench (TVBench): INCOMPLETE" in out and "0 of 1 tasks complete" in out
    assert f"records: {N} loaded, 1 malformed" in out and "malformed: TVBench.jsonl#/3: malformed JSON line 4" in out
    assert f"missing: {videos[1]}" in out and f"empty (0 bytes or no files): {videos[2]}" in out
    assert "unpack first: video.zip" in out
    assert "media: HF FunAILab/TVBench" in out  # where to get what is missing

    report = json.loads(check("--tasks", "tvbench", "--data-root", str(root), "--json").stdout)[0]
    assert report["complete"] is False and report["records"] == N
    assert report["media"]["missing"] == [videos[1]] and report["media"]["empty"] == [videos[2]]
    assert report["media"]["found"] == len(set(videos)) - 2 and report["archives"] == ["video.zip"]
    assert report["malformed"] == ["TVBench.jsonl#/3: malformed JSON line 4: Expecting value"]
    assert report["annotations"][0]["found"] == "TVBench.jsonl" and report["annotations"][0]["checksum"] == "differs"


def test_probe_decodes_every_video_in_worker_processes(tmp_path, shared_benchmarks):
    root, videos = tvbench_root(tmp_path, shared_benchmarks)
    (root / "TVBench" / videos[4]).write_bytes(b"not a video" * 100)
    plain = check("--tasks", "tvbench", "--data-root", str(root))
    assert plain.returncode == 0 and "not probed" in plain.stdout  # present and not empty: only decoding tells
    probed = check("--tasks", "tvbench", "--data-root", str(root), "--probe", "--workers", "2")
    assert probed.returncode == 1, probed.stdout + probed.stderr
    assert "1 unreadable (probed)" in probed.stdout
    assert f"unreadable: {videos[4]}: VideoDecodeError: cannot open video" in probed.stdout
    assert "probe tvbench" in probed.stderr and f"{len(set(videos))}/{len(set(videos))}" in probed.stderr  # tqdm


def test_several_tasks_exit_1_when_one_lacks_its_folder(tmp_path, shared_benchmarks):
    root, _ = tvbench_root(tmp_path, shared_benchmarks)
    proc = check("--tasks", "tvbench,tempcompass", "--data-root", str(root))
    assert proc.returncode == 1
    assert "1 of 2 tasks complete" in proc.stdout and f"note: no folder {root / 'TempCompass'}" in proc.stdout
    assert "MISSING questions/multi-choice.json (tried questions/multi-choice.json, multi-choice.json" in proc.stdout
    assert "records: not loaded (annotation files missing)" in proc.stdout


def test_an_annotation_file_that_does_not_parse_is_reported(tmp_path):
    (tmp_path / "OpenEQA").mkdir()
    (tmp_path / "OpenEQA" / "open-eqa-v0.json").write_text('[{"question": "Where is the sofa?"')
    proc = check("--tasks", "openeqa", "--data-root", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "records: not loaded: annotation file open-eqa-v0.json is not valid JSON" in proc.stdout
    assert "no official checksum" not in proc.stdout and "DIFFERS from the official file" in proc.stdout
    assert "annotations: GitHub facebookresearch/open-eqa data/open-eqa-v0.json" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "nosuch"], "unknown task 'nosuch'"),
        (["--tasks", "tvbench", "--data-root", "/nonexistent/data"], "data root /nonexistent/data does not exist"),
        (["--tasks", "tvbench", "--loader-options", "tvbench.nope=1"], "takes no option ['nope']"),
    ],
)
def test_bad_usage_exits_2(shared_benchmarks, args, message):
    proc = check(*args) if "--data-root" in args else check(*args, "--data-root", str(shared_benchmarks))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_recorded_checksums_are_those_of_the_official_files(shared_benchmarks):
    checked = 0
    for spec in all_tasks().values():
        by_name = {a.name: a for a in spec.annotations} | {PRE_2025_10.name: PRE_2025_10}
        for name, sha in spec.sources.sha256.items():
            ann = by_name[name]  # every recorded name is a file the task reads
            full = [shared_benchmarks / spec.data_dir / a for a in ann.aliases if a.startswith("full.")]
            assert full and full[0].is_file(), f"{spec.name}: no full.* copy of {name}"
            assert sha256_file(full[0]) == sha, f"{spec.name}: {name}"
            checked += 1
    assert checked == 30


def test_the_doctor_reads_the_official_files_as_official(shared_benchmarks):
    proc = check("--tasks", "videohallucer", "--data-root", str(shared_benchmarks), "--json")
    assert proc.returncode == 1  # no videos in the shared folder
    report = json.loads(proc.stdout)[0]
    assert [a["checksum"] for a in report["annotations"]] == ["matches"] * 5
    assert report["records"] == 1952 and report["media"]["found"] == 0 and report["media"]["referenced"] == 1148
    old = check("--tasks", "videohallucer", "--data-root", str(shared_benchmarks), "--json",
                "--loader-options", "videohallucer.temporal=pre2025-10")  # fmt: skip
    extra = json.loads(old.stdout)[0]["annotations"][-1]
    assert extra["found"] == "full.temporal_pre2025-10_200pairs.json"  # read in place of temporal.json
    assert extra["checksum"] == "matches"


def test_tasks_verbose_names_the_official_sources():
    proc = run_cli("tasks", "--verbose")
    assert proc.returncode == 0
    block = proc.stdout.split("\ntvbench ")[1].split("\nvideohallucer ")[0]
    assert "annotations: GitHub bytedance/tarsier data/annotations/TVBench.jsonl" in block
    assert "as downloaded: FunAILab/TVBench holds json/<task>.json" in block


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"sha256": {"a.json": "abc"}}, "64 lower-case hex digits"),
        ({"download": "x"}, "unknown keys ['download']"),
        ({"media": [3]}, "must be a text or a list of texts"),
    ],
)
def test_bad_sources_are_config_errors(raw, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_sources(raw, Path("tasks/x.yaml"))
