"""Append-only shard files: one JSON line per finished sample, flushed and fsynced, read back on resume.

A process killed mid-write leaves at most one torn line at the end of its file; the writer starts a fresh line
before appending and the reader reports and skips torn lines, so no finished sample is lost or double counted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tarsier_eval.rundir import ShardRecord, dumps
from tarsier_eval.scoring.types import Prediction


class ShardWriter:
    """Appends records to `path`; every `write` is durable when it returns."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("a+b")
        self._fh.seek(0, os.SEEK_END)
        if self._fh.tell() > 0:
            self._fh.seek(-1, os.SEEK_END)
            if self._fh.read(1) != b"\n":
                self._fh.write(b"\n")

    def write(self, records: list[ShardRecord]) -> None:
        if not records:
            return
        payload = b"".join(dumps(r.to_json()).encode() + b"\n" for r in records)
        self._fh.write(payload)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_shard_records(shard_dir: Path) -> tuple[list[ShardRecord], list[str]]:
    """Every intact record under `shard_dir` (all ranks, all launches), plus a message per torn line."""
    records: list[ShardRecord] = []
    problems: list[str] = []
    for path in sorted(shard_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    problems.append(f"{path.name}:{number}: torn line skipped (process killed mid-write)")
                    continue
                if isinstance(record, dict) and "sample_id" in record:
                    records.append(ShardRecord.from_json(record))
    return records, problems


def latest_predictions(records: list[ShardRecord]) -> dict[str, Prediction]:
    """One prediction per sample: a success wins over an error; among equals the last written wins."""
    best: dict[str, Prediction] = {}
    for record in records:
        pred = Prediction(record.sample_id, record.response, record.error)
        current = best.get(pred.sample_id)
        if current is None or current.error is not None or pred.error is None:
            best[pred.sample_id] = pred
    return best


def finished_ids(records: list[ShardRecord]) -> set[str]:
    """Samples with a successful response: a resumed run skips these (errored samples are tried again)."""
    return {r.sample_id for r in records if r.error is None and r.response is not None}
