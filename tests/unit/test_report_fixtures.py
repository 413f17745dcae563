"""Run dirs written exactly as the DESIGN run-dir contract says, for the report and gate tests.

TVBench runs are real: the real annotation file, predictions in the model's reply format, the official scorer.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tarsier_eval.data.load import load_samples
from tarsier_eval.protocols import resolve
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction, TaskScores

_TVBENCH: dict[str, Any] = {}


def write_run(
    root: Path,
    run_id: str,
    scores: list[TaskScores],
    samples: list[dict[str, Any]] | None = None,
    model: str = "tiny-qwen2-vl",
    fingerprint: str | None = "ab" * 32,
) -> Path:
    """<root>/runs/<run_id>/{manifest.json, samples.jsonl, scores.json}."""
    run_dir = root / "runs" / run_id
    run_dir.mkdir(parents=True)
    manifest = {
        "run_id": run_id,
        "created": f"2025-01-01T00:00:{len(run_id) % 60:02d}",
        "command": ["tarsier-eval", "run"],
        "config": {},
        "git_sha": "0" * 40,
        "packages": {"torch": "2.14.1"},
        "model": {"name": model, "args": {}, "fingerprint": fingerprint},
        "tasks": {t.task: {"version": 1, "annotations": {}, "extra": {}} for t in scores},
        "world_size": 1,
        "judge": None,
        "status": "complete",
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    for t in scores:  # as a run records it: the task's default (paper) protocol
        t.protocol = t.protocol or resolve(get_task(t.task), None).label
    (run_dir / "scores.json").write_text(json.dumps({"run_id": run_id, "tasks": {t.task: t.to_json() for t in scores}}))
    with (run_dir / "samples.jsonl").open("w") as f:
        for rec in samples or []:
            f.write(json.dumps(rec) + "\n")
    return run_dir


def tvbench_samples(shared: Path, limit: int = 600):
    if limit not in _TVBENCH:
        spec = get_task("tvbench")
        _TVBENCH[limit] = (spec, load_samples(spec, shared, limit=limit).samples)
    return _TVBENCH[limit]


def tvbench_run(
    root: Path, shared: Path, run_id: str, wrong: set[int], responses: dict[int, str] | None = None, limit: int = 600
) -> Path:
    """A TVBench run whose replies are right except at the indices in `wrong` (a different letter)."""
    spec, samples = tvbench_samples(shared, limit)
    preds = {}
    for i, s in enumerate(samples):
        letters = [chr(65 + k) for k in range(len(s.options))]
        letter = s.answer if i not in wrong else next(x for x in letters if x != s.answer)
        text = (responses or {}).get(i, f"{letter}) {s.options[ord(letter) - 65]}")
        preds[s.sample_id] = Prediction(s.sample_id, text)
    ts = score_task(spec, samples, preds)
    by_id = {r.sample_id: r for r in ts.samples}
    records = [
        {
            "sample_id": s.sample_id,
            "task": s.task,
            "subset": s.subset,
            "video": s.video,
            "prompt": s.prompt,
            "response": preds[s.sample_id].response,
            "parsed": by_id[s.sample_id].parsed,
            "score": by_id[s.sample_id].score,
            "status": by_id[s.sample_id].status,
            "error": by_id[s.sample_id].error,
            "detail": by_id[s.sample_id].detail,
        }
        for s in samples
    ]
    return write_run(root, run_id, [ts], records)


def planted(n: int, k: int, seed: int) -> set[int]:
    return set(random.Random(seed).sample(range(n), k))


def test_tvbench_run_scores_what_was_planted(tmp_path, shared_benchmarks):
    run_dir = tvbench_run(tmp_path, shared_benchmarks, "r1", wrong=set(range(60)))
    scores = json.loads((run_dir / "scores.json").read_text())["tasks"]["tvbench"]
    assert scores["n"] == 600 and scores["headline"] == "accuracy"
    assert abs(scores["metrics"]["overall"]["accuracy"] - 90.0) < 1e-9  # 540 / 600 right
    lines = (run_dir / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 600 and json.loads(lines[0])["sample_id"] == "tvbench/0"
