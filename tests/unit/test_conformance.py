"""Differential conformance: predictions scored by a benchmark's own (or lmms-eval's, or the Tarsier team's) code,
run outside the project at a named commit, give the same per-item verdicts and numbers under the matching
protocol of this harness. The fixtures (tests/fixtures/conformance/<task>/<protocol>/) hold only data: the
predictions, what the official code printed and its verdicts; their SOURCE.md says how they were made.

Per fixture and prediction set, through `score_task` with the protocol applied:
- every verdict line's `score` equals this harness's score for that sample (None: left out of the denominator),
  except the items the official run drew at random (`random_items` in <set>.official.json) and those
  `skip_items` names with its reason;
- every metric of <set>.official.json equals ours rounded to its `digits` (times `harness_scale` when the official
  code prints fractions), within its `tolerance` when one is given.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.scoring.score import score_task
from tests.conftest import FIXTURES, SHARED_BENCHMARKS
from tests.support.conformance_data import built_root
from tests.support.judge_rules import rule_judge

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

ROOT = FIXTURES / "conformance"
CASES = sorted(
    (meta.parent.parent.name, meta.parent.name, s)
    for meta in ROOT.glob("*/*/meta.json")
    for s in json.loads(meta.read_text())["sets"]
)


def _data_root(meta: dict[str, Any]) -> Path:
    root = SHARED_BENCHMARKS if meta["data_root"] == "shared" else FIXTURES.parent / meta["data_root"]
    return built_root(meta["data_build"], root) if meta.get("data_build") else root


def _predictions(path: Path):
    """The fixture's predictions through the CLI's reader. A `"response": null` without an error (what an official
    pipeline saves for a refused generation) gets the "error" the harness's predictions contract asks for: both
    mean a failed generation (status error)."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if all(r.get("response") is not None or r.get("error") for r in records):
        return read_predictions(path)
    with tempfile.TemporaryDirectory() as tmp:
        fixed = Path(tmp) / path.name
        fixed.write_text("".join(json.dumps({**r, "error": r.get("error") or "null response (official: refused)"}
                                            if r.get("response") is None else r) + "\n" for r in records))  # fmt: skip
        return read_predictions(fixed)


def score_case(task: str, protocol: str, name: str):
    folder = ROOT / task / protocol
    meta = json.loads((folder / "meta.json").read_text())
    spec, _ = protocols.apply(get_task(task), protocol)
    loaded = load_samples(spec, _data_root(meta), options=meta.get("loader_options") or {})
    predictions = _predictions(folder / f"{name}.predictions.jsonl")
    judge = rule_judge(meta["judge_rule"]) if meta.get("judge_rule") else None
    scores = score_task(spec, loaded.samples, predictions, options=meta.get("score_options") or {}, judge=judge,
                        seed=int(meta.get("official_random_seed", 0)))  # fmt: skip
    return scores, json.loads((folder / f"{name}.official.json").read_text()), folder


def _same(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) < 1e-9


@pytest.mark.parametrize(("task", "protocol", "name"), CASES)
def test_matches_the_official_scorer(task, protocol, name, shared_benchmarks):
    scores, official, folder = score_case(task, protocol, name)
    skipped = set(official.get("random_items", [])) | set(official.get("skip_items", {}))
    ours = {r.sample_id: r.score for r in scores.samples}
    verdicts = [json.loads(line) for line in (folder / f"{name}.verdicts.jsonl").read_text().splitlines() if line]
    differ = [(v["sample_id"], v["score"], ours.get(v["sample_id"], "absent")) for v in verdicts
              if v["sample_id"] not in skipped and not _same(ours.get(v["sample_id"]), v["score"])]  # fmt: skip
    assert not differ, f"{len(differ)} of {len(verdicts)} verdicts differ (sample, official, ours): {differ[:8]}"
    wrong = []
    for key, entry in official["metrics"].items():
        subset, _, metric = key.rpartition("/")
        value = scores.metrics.get(subset, {}).get(metric)
        if value is None or entry["value"] is None:
            if value != entry["value"]:
                wrong.append((key, entry["value"], value))
            continue
        value /= entry.get("harness_scale", 1)
        digits, tol = entry.get("digits"), entry.get("tolerance", 1e-9)
        if abs((round(value, digits) if digits is not None else value) - entry["value"]) > tol:
            wrong.append((key, entry["value"], value))
    assert not wrong, f"metrics differ (key, official, ours): {wrong[:8]}"
