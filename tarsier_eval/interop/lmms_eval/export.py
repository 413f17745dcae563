"""`export --format lmms-eval RUN`: a run dir's per-sample results in lmms-eval's `--log_samples` layout.

Written under OUTPUT/<model, sanitized as lmms-eval does>/ (lmms-eval's loggers/evaluation_tracker.py):
- `<date>_samples_<lmms task>.jsonl`, one line per sample that has a reply, in the v0.4+ line layout (`doc_id`,
  `target` as a string, `filtered_resps` the reply, `input` the prompt we sent, `doc_hash`, `prompt_hash`,
  `target_hash`) plus `doc` (the sample as a row of lmms-eval's dataset for the task, the fields we hold; v0.4+
  builds it and drops it when writing, v0.3 kept it) so that documents can be identified by content, our verdict
  as `tarsier_eval_score` (read by lmms-eval's baselines/loader.py) and `tarsier_eval` (sample id, status,
  parsed answer, score, error). `doc_id` is the sample's position among this run's samples of that lmms-eval
  task (lmms-eval's is the dataset row). Samples without a reply (missing, failed) are left out and counted.
- `<date>_results.json`: `results` (per lmms-eval task the headline metric of its subset, and the task's overall
  value under our task name, as `"<metric>,none"`), `group_subtasks`, `n-samples`, `config`, `date`,
  `model_name`, `model_name_sanitized`, and `tarsier_eval` (run id, protocol, scores.json's entry).
The samples themselves are loaded again from the data root (the run's, or `--data-root`) for their content.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.interop.lmms_eval.tasks import BENCHMARKS, Benchmark
from tarsier_eval.rundir import Manifest, SampleRow, ScoresFile, TaskEntry, atomic_write_json, atomic_write_jsonl


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sanitized(name: str) -> str:
    """lmms-eval's folder name for a model: the last two path parts, unsafe characters -> `__`."""
    last_two = "/".join(name.split("/")[-2:])
    return re.sub(r"[\"<>:/\|\\?\*\[\]]+", "__", last_two)


def date_id(manifest: Manifest) -> str:
    stamp = manifest.finished or manifest.created
    try:
        return datetime.fromisoformat(stamp).strftime("%Y%m%d_%H%M%S")
    except (TypeError, ValueError):
        return datetime.now().strftime("%Y%m%d_%H%M%S")


def model_name(manifest: Manifest) -> str:
    model = manifest.model or {}
    return str(model.get("pretrained") or model.get("model") or model.get("name") or f"tarsier-eval/{manifest.run_id}")


def line(bench: Benchmark, sample: Sample, row: SampleRow, doc_id: int) -> dict[str, Any]:
    doc, target = bench.doc(sample), bench.target(sample)
    verdict = {"sample_id": row.sample_id, "status": row.status, "parsed": row.parsed, "score": row.score,
               "error": row.error}  # fmt: skip
    return {"doc_id": doc_id, "doc": doc, "target": target, "filtered_resps": row.response, "input": sample.prompt,
            "tarsier_eval_score": row.score, "tarsier_eval": verdict,
            "doc_hash": sha(json.dumps(doc, indent=2, ensure_ascii=False, default=str)),
            "prompt_hash": sha(sample.prompt), "target_hash": sha(target)}  # fmt: skip


@dataclass
class TaskExport:
    task: str
    lines: dict[str, list[dict[str, Any]]]  # lmms-eval task -> lines
    subsets: dict[str, set[str]]  # lmms-eval task -> our subsets in it
    left_out: int


def task_lines(bench: Benchmark, samples: list[Sample], rows: list[SampleRow]) -> TaskExport:
    by_id = {s.sample_id: s for s in samples}
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    subsets: dict[str, set[str]] = defaultdict(set)
    left_out = 0
    for row in rows:
        sample = by_id.get(row.sample_id)
        if sample is None or row.response is None:
            left_out += 1
            continue
        lmms_task = bench.lmms_task(sample)
        lines[lmms_task].append(line(bench, sample, row, len(lines[lmms_task])))
        subsets[lmms_task].add(sample.subset)
    return TaskExport(bench.task, dict(lines), dict(subsets), left_out)


def subset_value(entry: TaskEntry, subset: str) -> dict[str, Any]:
    """The subset's headline metric, else its accuracy, as lmms-eval keys it (`"<metric>,none"`)."""
    metrics = entry.metrics.get(subset, {})
    name = entry.headline if entry.headline in metrics else "accuracy"
    return {f"{name},none": entry.value(subset, name)} if name in metrics else {}


def results_entries(export: TaskExport, entry: TaskEntry) -> dict[str, dict[str, Any]]:
    """Per lmms-eval task the headline of its one subset (overall when it holds every subset of the run)."""
    overall = {f"{entry.headline},none": entry.headline_value}
    everything = set().union(*export.subsets.values())
    results: dict[str, dict[str, Any]] = {}
    for lmms_task, subsets in sorted(export.subsets.items()):
        if subsets == everything:
            results[lmms_task] = {"alias": lmms_task, **overall}
        elif len(subsets) == 1:
            results[lmms_task] = {"alias": lmms_task, **subset_value(entry, next(iter(subsets)))}
    results[export.task] = {"alias": export.task, **overall}
    return results


def write_export(run_dir: Path, output: Path, exports: list[TaskExport]) -> list[Path]:
    manifest = Manifest.read(run_dir)
    scores = ScoresFile.read(run_dir / "scores.json")
    name, date = model_name(manifest), date_id(manifest)
    folder = output / sanitized(name)
    written, results, groups, counts = [], {}, {}, {}
    for export in exports:
        for lmms_task, rows in sorted(export.lines.items()):
            path = folder / f"{date}_samples_{lmms_task}.jsonl"
            atomic_write_jsonl(path, rows)
            written.append(path)
            counts[lmms_task] = {"original": len(rows), "effective": len(rows)}
        groups[export.task] = sorted(export.lines)
        if export.task in scores.tasks:
            results.update(results_entries(export, scores.tasks[export.task]))
    summary = {
        "results": results, "group_subtasks": groups, "configs": {}, "versions": {}, "n-shot": {},
        "higher_is_better": {}, "n-samples": counts, "date": date, "model_name": name,
        "model_name_sanitized": sanitized(name),
        "config": {"model": name, "model_args": manifest.config.get("model_args"), "model_backend": "tarsier-eval"},
        "tarsier_eval": {"run_id": manifest.run_id, "left_out": {e.task: e.left_out for e in exports},
                         "scores": {e.task: scores.tasks[e.task].to_json() for e in exports if e.task in scores.tasks}},
    }  # fmt: skip
    results_path = folder / f"{date}_results.json"
    atomic_write_json(results_path, summary)
    return [*written, results_path]


def exportable(tasks: list[str]) -> list[Benchmark]:
    benches = [BENCHMARKS[t] for t in tasks if t in BENCHMARKS]
    if not benches:
        raise UsageError(f"the run's tasks ({', '.join(tasks)}) have no lmms-eval counterpart here; "
                         f"export knows {', '.join(sorted(BENCHMARKS))}")  # fmt: skip
    return benches
