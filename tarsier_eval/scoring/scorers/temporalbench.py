"""TemporalBench binary accuracy (BA) and multiple binary accuracy (MBA), as the official `get_qa_acc.py`.

Parser `temporalbench_first_char` (the reply's first character, case-insensitive). BA = mean over items; MBA =
share of `video_name` groups whose items are all correct; both overall, per category (the subset; short QA) and
per source dataset, MBA grouping by video inside each group. Quirks kept by default:
- the official script only iterates over the predictions it is given, so an item without a prediction is left
  out of BA and of its video's group (policy `missing: exclude`; `missing: wrong` counts it wrong instead);
- an empty reply crashes the official script (`response[0]`); here it is wrong and counted as unparsed.
"""

from __future__ import annotations

from collections.abc import Iterable

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct, pct_by_group
from tarsier_eval.scoring.framework import ParsedAnswerScorer, Row, StatusPolicy, Table
from tarsier_eval.scoring.types import ScoreContext

KEYS = {
    "overall": lambda s: "overall",
    "subset": lambda s: s.subset,
    "dataset": lambda s: f"dataset={s.meta['dataset']}",
}


def multiple_binary(items: Iterable[tuple[str, str, float | None]]) -> dict[str, float | None]:
    """`{group: MBA %}` from (group, video_name, score) triples; None scores are left out as the official does."""
    videos: dict[str, dict[str, bool]] = {}
    for group, video, score in items:
        if score is None:
            continue
        per_group = videos.setdefault(group, {})
        per_group[video] = per_group.get(video, True) and score == 1.0
    return {g: pct(mean(float(ok) for ok in vids.values())) for g, vids in videos.items()}


def _ba_mba(rows: list[Row], ctx: ScoreContext) -> Table:
    metrics: Table = {}
    for key_of in KEYS.values():
        ba = pct_by_group((key_of(s), r.score) for s, r in rows)
        mba = multiple_binary((key_of(s), s.meta["video_name"], r.score) for s, r in rows)
        for name, value in ba.items():
            metrics[name] = {"mba": mba.get(name), "ba": value}
    return metrics


@SCORERS.register("temporalbench_mba")
class TemporalBenchAccuracy(ParsedAnswerScorer):
    default_parser = "temporalbench_first_char"
    policy = StatusPolicy(missing="exclude", error="exclude")
    metrics = (_ba_mba,)
