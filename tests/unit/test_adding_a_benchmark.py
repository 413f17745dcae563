"""docs/adding-a-benchmark.md works as written: its YAMLs register tasks from a temporary tasks folder, its loader
and parser register by name, and the benchmarks load and score end to end."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tarsier_eval.task import Mechanism
from tests.conftest import REPO

DOC = (REPO / "docs" / "adding-a-benchmark.md").read_text()
BLOCKS = re.findall(r"```(yaml|python)\n(.*?)```", DOC, re.DOTALL)
YAMLS = [yaml.safe_load(text) for kind, text in BLOCKS if kind == "yaml"]
CODE = [text for kind, text in BLOCKS if kind == "python"]


@pytest.fixture
def tasks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tasks"
    folder.mkdir()
    for spec in YAMLS:
        (folder / f"{spec['name']}.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("TARSIER_EVAL_TASKS_DIR", str(folder))
    return folder


def test_a_benchmark_in_a_known_format_is_one_yaml(tasks_dir, tmp_path, shared_benchmarks):
    data = tmp_path / "data" / "FAVOR-Bench"
    data.mkdir(parents=True)
    lines = (shared_benchmarks / "TVBench" / "full.TVBench_tarsier-format.jsonl").read_text().splitlines()[:3]
    (data / "FAVOR-Bench.jsonl").write_text("\n".join(lines) + "\n")
    spec = get_task("favor_bench")
    samples = load_samples(spec, tmp_path / "data").samples
    assert len(samples) == 3 and samples[0].sample_id.startswith("favor_bench/")
    assert samples[0].media.path.startswith("video/") and samples[0].response_prefix == "Best option:("
    assert samples[0].prompt.startswith("Question: ") and "\n(A) " in samples[0].prompt
    preds = {s.sample_id: Prediction(s.sample_id, f"({s.answer}) because") for s in samples}
    assert score_task(spec, samples, preds).headline_value == 100.0


def test_a_new_format_is_a_loader_of_records_and_a_parser(tasks_dir, tmp_path):
    for code in CODE:
        exec(compile(code, "docs/adding-a-benchmark.md", "exec"), {})
    data = tmp_path / "data" / "NExT-QA"
    data.mkdir(parents=True)
    header = [
        "video",
        "frame_count",
        "width",
        "height",
        "question",
        "answer",
        "qid",
        "type",
        *(f"a{i}" for i in range(5)),
    ]
    rows = [
        ["4010069381", "300", "640", "480", "why did the boy run", "2", "7", "CW", "fell", "sat", "chased dog", "ate", "slept"],
        ["4010069381", "300", "640", "480", "what happened after", "1", "8", "TN", "waved", "hid", "c", "d", "e"],
        ["5021371242", "90", "640", "480", "a row without its answer", "", "1", "DL", "a", "b", "c", "d", "e"],
    ]  # fmt: skip
    with (data / "val.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    spec = get_task("nextqa")
    loaded = load_samples(spec, tmp_path / "data")
    assert [s.sample_id for s in loaded.samples] == ["nextqa/4010069381/7", "nextqa/4010069381/8"]
    first = loaded.samples[0]
    assert first.prompt == (
        "why did the boy run\nA. fell\nB. sat\nC. chased dog\nD. ate\nE. slept\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert first.answer == "C" and first.subset == "CW" and first.media.path == "videos/4010069381.mp4"
    assert first.source.file == "val.csv" and first.source.pointer == "/0"
    assert len(loaded.issues) == 1 and loaded.issues[0].pointer == "/2" and "malformed record" in str(loaded.issues[0])

    second = loaded.samples[1].sample_id
    preds = {first.sample_id: Prediction(first.sample_id, "C"), second: Prediction(second, "A. no, B")}
    assert score_task(spec, loaded.samples, preds).metrics["overall"]["accuracy"] == 50.0  # choice_letter reads A
    last_letter = replace(spec, parser=Mechanism("last_letter"))  # the documented parser reads B
    assert score_task(last_letter, loaded.samples, preds).metrics["overall"]["accuracy"] == 100.0
