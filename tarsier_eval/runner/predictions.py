"""Reading a predictions file for `score`: strict, every problem named by file and line (docs/runs.md).

Each line is a JSON object `{"sample_id": str, "response": str}`; a prediction that failed is written
`{"sample_id": str, "response": null, "error": "why"}` and is scored as an inference error. Anything else is a
usage error: a line that is not an object, a missing or non-string sample_id, a missing response, a response that
is not a string (numbers and lists are not turned into text), a null response without an error, an empty file.
A sample_id given twice is an error by default; `on_duplicate` "first" or "last" keeps that one instead.
`collect_predictions` applies the same rules to records given any other way (the Python API's lists, DataFrames).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tarsier_eval.errors import UsageError
from tarsier_eval.scoring.types import Prediction

DUPLICATE_RULES = ("error", "first", "last")


def _prediction(record: Any, where: str) -> Prediction:
    if not isinstance(record, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(record).__name__}")
    sample_id = record.get("sample_id")
    if not isinstance(sample_id, str) or not sample_id:
        raise UsageError(f"{where}: 'sample_id' must be a non-empty string, got {sample_id!r}")
    if "response" not in record:
        raise UsageError(f"{where}: no 'response' for {sample_id}")
    response, error = record["response"], record.get("error")
    if response is None:
        if not isinstance(error, str) or not error:
            raise UsageError(f'{where}: response of {sample_id} is null; a failed generation needs "error": "why"')
        return Prediction(sample_id, None, error)
    if not isinstance(response, str):
        raise UsageError(f"{where}: response of {sample_id} must be a string, got {type(response).__name__}")
    return Prediction(sample_id, response)


def collect_predictions(
    records: Iterable[tuple[str, str, Any]], source: str, on_duplicate: str = "error"
) -> dict[str, Prediction]:
    """sample_id -> Prediction from (where, position, record) triples, e.g. ("p.jsonl:3", "line 3", {...});
    UsageError (exit 2) naming `where` on any problem, the duplicate rule applied."""
    if on_duplicate not in DUPLICATE_RULES:
        raise UsageError(f"--on-duplicate takes one of {DUPLICATE_RULES}, got {on_duplicate!r}")
    predictions: dict[str, Prediction] = {}
    first_seen: dict[str, str] = {}
    for where, position, record in records:
        pred = _prediction(record, where)
        if pred.sample_id in first_seen:
            if on_duplicate == "error":
                raise UsageError(f"{where}: {pred.sample_id} was already given on {first_seen[pred.sample_id]} "
                                 "(use --on-duplicate first|last to choose)")  # fmt: skip
            if on_duplicate == "first":
                continue
        first_seen.setdefault(pred.sample_id, position)
        predictions[pred.sample_id] = pred
    if not predictions:
        raise UsageError(f"{source} holds no predictions")
    return predictions


def _jsonl_records(path: Path) -> Iterator[tuple[str, str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{number}", f"line {number}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{number}: not JSON ({exc.msg})") from None


def read_predictions(path: Path, on_duplicate: str = "error") -> dict[str, Prediction]:
    """sample_id -> Prediction from a JSONL file; UsageError (exit 2) naming file and line on any problem."""
    if on_duplicate not in DUPLICATE_RULES:
        raise UsageError(f"--on-duplicate takes one of {DUPLICATE_RULES}, got {on_duplicate!r}")
    if not path.is_file():
        raise UsageError(f"predictions file {path} not found")
    return collect_predictions(_jsonl_records(path), str(path), on_duplicate)
