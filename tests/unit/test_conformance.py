"""Differential conformance: predictions scored by a benchmark's own (or lmms-eval's, or the Tarsier team's) code,
run outside the project at a named commit, give the same per-item verdicts and numbers under the matching
protocol of this harness. The fixtures (tests/fixtures/conformance/<task>/<protocol>/) hold only data: the
predictions, what the official code printed and its verdicts; their SOURCE.md says how they were made.

Per fixture and prediction set, through `score_task` with the protocol applied:
- every verdict line's `score` equals this harness's score for that sample (None: left out of the denominator),
  except the items the official run drew at random (`random_items` in <set>.official.json) and those
  `skip_items` names with its reason;
- every metric of <set>.official.json equals ours rounded to its `digits` (times `harness_scale` when the official
  code prints fractions), within its `tolerance` when one is given; `harness_key` names our key when it differs,
  and a count the scorer reports in `extra[metric][subset]` (E.T. Bench's Failed) is read from there; a metric
  the scorer says it cannot compute on this machine (`extra["unavailable"]`, e.g. METEOR without a JRE) is not
  compared, with a warning.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.scoring.score import score_task
from tests.conftest import FIXTURES, SHARED_BENCHMARKS
from tests.support.judge_rules import rule_judge

ROOT = FIXTURES / "conformance"
CASES = sorted(
    (meta.parent.parent.name, meta.parent.name, s)
    for meta in ROOT.glob("*/*/meta.json")
    for s in json.loads(meta.read_text())["sets"]
)


def _data_root(meta: dict[str, Any]) -> Path:
    return SHARED_BENCHMARKS if meta["data_root"] == "shared" else FIXTURES.parent / meta["data_root"]


def score_case(task: str, protocol: str, name: str):
    folder = ROOT / task / protocol
    meta = json.loads((folder / "meta.json").read_text())
    spec, _ = protocols.apply(get_task(task), protocol)
    loaded = load_samples(spec, _data_root(meta), options=meta.get("loader_options") or {})
    predictions = read_predictions(folder / f"{name}.predictions.jsonl")
    judge = rule_judge(meta["judge_rule"]) if meta.get("judge_rule") else None
    scores = score_task(spec, loaded.samples, predictions, options=meta.get("score_options") or {}, judge=judge,
                        seed=int(meta.get("official_random_seed", 0)))  # fmt: skip
    return scores, json.loads((folder / f"{name}.official.json").read_text()), folder


def _same(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) < 1e-9


def _ours(scores, key: str) -> float | None:
    """Our value for `<subset>/<metric>`: a metric, or a count the scorer reports as extra[metric][subset]."""
    subset, _, metric = key.rpartition("/")
    if metric in scores.metrics.get(subset, {}):
        return scores.metrics[subset][metric]
    extra = scores.extra.get(metric)
    return extra.get(subset) if isinstance(extra, dict) else None


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
    unavailable = scores.extra.get("unavailable", {})  # metrics this machine cannot compute (e.g. no JRE), and why
    for key, entry in official["metrics"].items():
        if key.rpartition("/")[2] in unavailable:
            warnings.warn(
                f"{task}/{protocol}/{name}: {key} not compared: {unavailable[key.rpartition('/')[2]]}", stacklevel=1
            )
            continue
        value = _ours(scores, entry.get("harness_key", key))
        if value is None or entry["value"] is None:
            if value != entry["value"]:
                wrong.append((key, entry["value"], value))
            continue
        value /= entry.get("harness_scale", 1)
        digits, tol = entry.get("digits"), entry.get("tolerance", 1e-9)
        if abs((round(value, digits) if digits is not None else value) - entry["value"]) > tol:
            wrong.append((key, entry["value"], value))
    assert not wrong, f"metrics differ (key, official, ours): {wrong[:8]}"
