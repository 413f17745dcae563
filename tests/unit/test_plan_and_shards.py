"""Shard plan (pure, balanced, complete) and shard files (durable appends, torn lines, resume selection)."""

from __future__ import annotations

import json
from pathlib import Path

from tarsier_eval.data.sample import Media, Sample, SourceRef
from tarsier_eval.rundir import ShardRecord
from tarsier_eval.runner.plan import sample_cost, shard_plan
from tarsier_eval.runner.shards import ShardWriter, finished_ids, latest_predictions, read_shard_records


def _samples(n: int) -> list[Sample]:
    return [
        Sample(f"t/{i}", "t", "s", Media(f"v{i}.mp4"), "q" * (i * 37 % 200), "A", SourceRef("f", f"/{i}"))
        for i in range(n)
    ]


def test_plan_is_a_partition_and_deterministic():
    samples = _samples(101)
    for world in (1, 2, 3, 8):
        plan = shard_plan(samples, world, 16)
        ids = [s.sample_id for part in plan for s in part]
        assert sorted(ids) == sorted(s.sample_id for s in samples)
        assert plan == shard_plan(list(samples), world, 16)
        assert all(part == sorted(part, key=lambda s: int(s.sample_id.split("/")[1])) for part in plan)


def test_plan_balances_cost():
    samples = _samples(100)
    plan = shard_plan(samples, 4, 16)
    loads = [sum(sample_cost(s, 16) for s in part) for part in plan]
    assert max(loads) - min(loads) <= max(sample_cost(s, 16) for s in samples)


def test_plan_with_more_ranks_than_samples():
    plan = shard_plan(_samples(2), 4)
    assert sorted(len(p) for p in plan) == [0, 0, 1, 1]


def test_torn_line_is_skipped_and_the_next_append_starts_a_new_line(tmp_path: Path):
    path = tmp_path / "rank0-of1.jsonl"
    with ShardWriter(path) as writer:
        writer.write([ShardRecord("a", "x")])
    with path.open("a") as fh:  # a process killed mid-write
        fh.write('{"sample_id": "b", "respo')
    with ShardWriter(path) as writer:
        writer.write([ShardRecord("c", "z")])
    records, problems = read_shard_records(tmp_path)
    assert [r.sample_id for r in records] == ["a", "c"]
    assert len(problems) == 1 and "torn line" in problems[0]


def test_errors_are_retried_and_successes_win(tmp_path: Path):
    lines = [
        {"sample_id": "a", "response": None, "error": "video file not found"},
        {"sample_id": "b", "response": "B", "error": None},
        {"sample_id": "a", "response": "A", "error": None},
        {"sample_id": "c", "response": None, "error": "cannot decode"},
    ]
    (tmp_path / "rank0-of2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    records, _ = read_shard_records(tmp_path)
    assert finished_ids(records) == {"a", "b"}
    preds = latest_predictions(records)
    assert preds["a"].response == "A" and preds["a"].error is None
    assert preds["c"].error == "cannot decode"


def test_lone_surrogates_are_written_escaped_and_read_back(tmp_path: Path):
    """A reply holding a lone surrogate (literal_eval of "\\ud83d" makes one) must not fail the write."""
    from tarsier_eval.rundir import SampleRow, read_samples, write_samples

    text = "a \ud83d b"
    with ShardWriter(tmp_path / "rank0-of1.jsonl") as writer:
        writer.write([ShardRecord("s", text)])
    records, problems = read_shard_records(tmp_path)
    assert not problems and records[0].response == text
    write_samples(tmp_path / "samples.jsonl", [SampleRow("s", "t", response=text, parsed=["é", text])])
    row = read_samples(tmp_path / "samples.jsonl")[0]
    assert row.response == text and row.parsed == ["é", text]
