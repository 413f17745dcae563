"""`score --protocols all`: the same predictions under every protocol a task has, side by side, and the items
whose verdict changes between protocols: the answer to "why does my number differ from the paper's"."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tarsier_eval import protocols
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import get_task
from tarsier_eval.runner.config import RunConfig, task_specs
from tarsier_eval.runner.evaluate import TaskLoads, score_loaded
from tarsier_eval.runner.predictions import read_predictions
from tarsier_eval.scoring.types import Prediction, TaskScores

EXAMPLES = 3


@dataclass
class Scored:
    protocol: protocols.Resolved
    scores: TaskScores | None
    error: str = ""  # why the protocol could not score these predictions (e.g. it reads another annotation file)


def score_all(task: str, predictions: dict[str, Prediction], config: RunConfig, judge: Any) -> list[Scored]:
    """The task scored under each of its protocols (aliases such as `paper` included, resolved); a protocol
    whose data is not under the data root (a variant with its own annotation file) gets a row saying so."""
    out = []
    for name in protocols.names(get_task(task)):
        ((spec, resolved),) = task_specs(replace(config, protocol=name))
        try:
            _, loaded = TaskLoads(config)(spec)
        except UsageError as exc:
            out.append(Scored(resolved, None, str(exc)))
            continue
        out.append(Scored(resolved, score_loaded(spec, loaded, predictions, config, judge)))
    return out


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def summary(rows: list[Scored]) -> list[str]:
    lines = ["| protocol | applies | headline | value | n | counted | unparsed | missing | errors |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        if row.scores is None:
            lines.append(f"| {row.protocol.requested} | {row.protocol.key} | not scored: {row.error} |")
            continue
        c, s = row.scores.counts(), row.scores
        lines.append(f"| {row.protocol.requested} | {row.protocol.key} | {s.headline} | {_fmt(s.headline_value)} | "
                     f"{c['n']} | {c['n_scored']} | {c['n_unparsed']} | {c['n_missing']} | {c['n_errors']} |")  # fmt: skip
    return lines


def differences(rows: list[Scored], predictions: dict[str, Prediction]) -> list[str]:
    """Per protocol against the first scored one (official): how many items' verdicts differ, with examples."""
    scored = [row for row in rows if row.scores is not None]
    if not scored:
        return []
    base = scored[0]
    assert base.scores is not None
    base_scores = {r.sample_id: r for r in base.scores.samples}
    lines, shown = [], {base.protocol.key}
    for row in scored[1:]:
        assert row.scores is not None
        if row.protocol.key in shown:  # an alias (paper) of a protocol already compared
            continue
        shown.add(row.protocol.key)
        changed = [(base_scores[r.sample_id], r) for r in row.scores.samples
                   if r.sample_id in base_scores and (base_scores[r.sample_id].score, base_scores[r.sample_id].status)
                   != (r.score, r.status)]  # fmt: skip
        lines.append(f"\n{len(changed)} items scored differently under {row.protocol.key} than under "
                     f"{base.protocol.key}" + (":" if changed else ""))  # fmt: skip
        for a, b in changed[:EXAMPLES]:
            reply = predictions[a.sample_id].response if a.sample_id in predictions else None
            lines.append(f"  {a.sample_id}: reply {reply!r:.80}: {base.protocol.name} {a.status} {_fmt(a.score)} "
                         f"(read {a.parsed!r}) vs {row.protocol.name} {b.status} {_fmt(b.score)} (read {b.parsed!r})")  # fmt: skip
    return lines


def sensitivity(task: str, predictions_path: Path, config: RunConfig, judge: Any, on_duplicate: str) -> int:
    predictions = read_predictions(predictions_path, on_duplicate)
    rows = score_all(task, predictions, config, judge)
    print(f"## {task}: the same {len(predictions)} predictions under each protocol\n")
    print("\n".join(summary(rows) + differences(rows, predictions)))
    return 0
