"""`score --task T --from lmms-eval LOG...`: lmms-eval samples files -> a predictions file for the scoring path.

The documents are mapped to sample ids by content (mapping.py); the replies of mapped documents are written as
an ordinary predictions file (`{"sample_id", "response"}` per line) that `score` then reads through the same
strict reader as `--predictions`. With `--output DIR`, that file (`predictions.lmms-eval.jsonl`) and the mapping
of every log line (`lmms-eval-mapping.jsonl`) stay in DIR; the notes go into scores.json and to stderr.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.interop.lmms_eval.logs import LogRecord, read_log, samples_files, task_of
from tarsier_eval.interop.lmms_eval.mapping import Mapping, map_documents
from tarsier_eval.interop.lmms_eval.tasks import BENCHMARKS, Benchmark
from tarsier_eval.rundir import atomic_write_jsonl

PREDICTIONS_NAME = "predictions.lmms-eval.jsonl"
MAPPING_NAME = "lmms-eval-mapping.jsonl"
SHOWN = 5


@dataclass
class Imported:
    predictions: Path
    notes: list[str]


def benchmark_for(task: str) -> Benchmark:
    bench = BENCHMARKS.get(task)
    if bench is None:
        raise UsageError(f"--from lmms-eval reads logs of {', '.join(sorted(BENCHMARKS))}; not of {task}")
    return bench


def read_logs(bench: Benchmark, paths: list[Path]) -> tuple[list[LogRecord], list[Path]]:
    """The records of every samples file of the benchmark's lmms-eval tasks; (records, files of other tasks)."""
    files = samples_files(paths)
    mine = [f for f in files if bench.owns(task_of(f))]
    if not mine:
        named = ", ".join(sorted({task_of(f) for f in files}))
        raise UsageError(f"no lmms-eval samples file of {bench.task} among the logs given (their tasks: {named})")
    return [r for f in mine for r in read_log(f)], [f for f in files if f not in mine]


def _listed(matches: list, limit: int = SHOWN) -> str:
    shown = "; ".join(f"{m.record.where}: {m.reason}" for m in matches[:limit])
    return shown + (f"; ... ({len(matches) - limit} more)" if len(matches) > limit else "")


def describe(bench: Benchmark, mapping: Mapping, records: list[LogRecord], samples: list[Sample],
             skipped: list[Path]) -> tuple[list[str], list[str]]:  # fmt: skip
    """(notes for scores.json, warnings for stderr)."""
    tasks = sorted({r.lmms_task for r in records})
    mapped, grouped = mapping.of("mapped"), mapping.of("grouped")
    unmapped, duplicates, ambiguous = mapping.of("unmapped"), mapping.of("duplicate"), mapping.of("ambiguous")
    covered = {m.sample_id for m in mapped + grouped}
    notes = [f"lmms-eval import: {len(records)} documents of {len(tasks)} lmms-eval tasks ({', '.join(tasks[:4])}"
             f"{', ...' if len(tasks) > 4 else ''}): {len(mapped) + len(grouped)} mapped to samples by content, "
             f"{len(unmapped)} matched no sample, {len(ambiguous)} ambiguous, {len(duplicates)} duplicates dropped; "
             f"{len(samples) - len(covered)} of {len(samples)} samples of {bench.task} have no document"]  # fmt: skip
    warnings: list[str] = []
    if grouped:
        warnings.append(f"{len(grouped)} documents matched groups of samples the log cannot tell apart (same "
                        "subset, question, options and answer; the log names no video) and were given to them in "
                        "doc_id order: the scores do not depend on it, but a per-sample row may pair a reply "
                        "with another video of its group")  # fmt: skip
    if unmapped:
        warnings.append(f"{len(unmapped)} lmms-eval documents matched no sample and were left out: {_listed(unmapped)}")
    if ambiguous:
        warnings.append(
            f"{len(ambiguous)} ambiguous lmms-eval documents were left out (--on-ambiguous skip): {_listed(ambiguous)}"
        )
    if duplicates:
        warnings.append(f"{len(duplicates)} duplicate documents were dropped: {_listed(duplicates)}")
    if mapping.video_differs:
        warnings.append(f"{len(mapping.video_differs)} documents name another video than the sample they matched on "
                        f"question, options and answer, e.g. {mapping.video_differs[0].record.where} -> "
                        f"{mapping.video_differs[0].sample_id}")  # fmt: skip
    if skipped:
        warnings.append(f"{len(skipped)} samples files of other lmms-eval tasks were not read, e.g. {skipped[0]}")
    return notes + warnings, warnings


def _mapping_rows(mapping: Mapping) -> list[dict]:
    return [{"file": str(m.record.file), "line": m.record.line, "lmms_task": m.record.lmms_task,
             "doc_id": m.record.doc_id, "sample_id": m.sample_id, "status": m.status, "reason": m.reason}
            for m in mapping.matches]  # fmt: skip


@contextmanager
def imported_predictions(task: str, logs: list[Path], samples: list[Sample], *, on_duplicate: str,
                         on_ambiguous: str, output: Path | None) -> Iterator[Imported]:  # fmt: skip
    """A predictions file of the logs' mapped replies (in `output`, else a temporary folder) and the notes."""
    bench = benchmark_for(task)
    records, skipped = read_logs(bench, logs)
    mapping = map_documents(bench, samples, records, on_duplicate=on_duplicate, on_ambiguous=on_ambiguous)
    notes, warnings = describe(bench, mapping, records, samples, skipped)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    rows = [{"sample_id": sample_id, "response": reply} for sample_id, reply in mapping.predictions()]
    if not rows:
        raise UsageError(f"no document of the lmms-eval logs matched a sample of {task}: {_listed(mapping.matches)}")
    folder = output if output is not None else Path(tempfile.mkdtemp(prefix="tarsier-eval-lmms-"))
    try:
        atomic_write_jsonl(folder / PREDICTIONS_NAME, rows)
        if output is not None:
            atomic_write_jsonl(folder / MAPPING_NAME, _mapping_rows(mapping))
        yield Imported(folder / PREDICTIONS_NAME, notes)
    finally:
        if output is None:
            shutil.rmtree(folder, ignore_errors=True)
