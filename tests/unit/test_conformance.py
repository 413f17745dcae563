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
The judge of a judged fixture (meta.json `judge_rule`) answers in process by that rule (tests/support/judge_rules.py);
the sets meta.json lists in `judge_via_http` are judged through the real HTTP judge instead, against a fresh loopback
server answering by the rule with meta.json's `judge_fault_rule` (faults and replies chosen by prompt and by how
often it was asked), so that re-asks and retries count as they do in a real run.
A prediction whose response is JSON null is what the official code got as None: it is read as a failed generation.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge
from tarsier_eval.registry import get_task
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tests.conftest import FIXTURES, SHARED_BENCHMARKS
from tests.support.conformance_data import built_root
from tests.support.judge_rules import FAULT_RULES, RULES, rule_judge
from tests.support.judge_server import JudgeServer

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


def _predictions(path: Path, tmp: Path) -> dict[str, Prediction]:
    """The set's predictions through the real reader, a null response given the error a failed generation has."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [{**r, "error": "null response"} if r.get("response") is None and not r.get("error") else r for r in rows]
    copy = tmp / path.name
    copy.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return read_predictions(copy)


@contextmanager
def _judge(meta: dict[str, Any], name: str) -> Iterator[Any]:
    """The fixture's judge for set `name`: in process by rule, or over HTTP for the sets in `judge_via_http`."""
    if not meta.get("judge_rule"):
        yield None
    elif name not in meta.get("judge_via_http", []):
        yield rule_judge(meta["judge_rule"])
    else:
        fault_rule = FAULT_RULES[meta["judge_fault_rule"]] if meta.get("judge_fault_rule") else None
        with JudgeServer(RULES[meta["judge_rule"]], fault_rule=fault_rule) as server:
            config = JudgeConfig(model=meta.get("judge_model", "rule"), base_url=server.url,
                                 api_key_env="TE_CONFORMANCE_NO_KEY", backoff_base=0.01)  # fmt: skip
            yield OpenAIJudge(config)


def score_case(task: str, protocol: str, name: str, tmp: Path):
    folder = ROOT / task / protocol
    meta = json.loads((folder / "meta.json").read_text())
    spec, _ = protocols.apply(get_task(task), protocol)
    loaded = load_samples(spec, _data_root(meta), options=meta.get("loader_options") or {})
    predictions = _predictions(folder / f"{name}.predictions.jsonl", tmp)
    with _judge(meta, name) as judge:
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
def test_matches_the_official_scorer(task, protocol, name, shared_benchmarks, tmp_path):
    scores, official, folder = score_case(task, protocol, name, tmp_path)
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
