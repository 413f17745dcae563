"""VideoHallucer pair accuracy, as `evaluations/evaluation_utils.py::cal_score` (repo HEAD) and `evaluation.py`.

A question is hit iff its gold word ("yes" / "no") occurs in the reply as the task's parser reads it
(`videohallucer_search`, official at HEAD: a whole word anywhere, case-insensitive, so "No, yes" hits both;
`videohallucer_prefix`: the older rule, the gold word must open the reply). A pair is correct iff both its basic
and its hallucinated question are hit. Per category: basic_accuracy, halluc_accuracy, accuracy (pair); "overall"
is the unweighted mean over the categories of each of the three. A missing prediction is not hit.
"""

from __future__ import annotations

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row
from tarsier_eval.scoring.types import ScoreContext

METRICS = ("basic_accuracy", "halluc_accuracy", "accuracy")


@SCORERS.register("videohallucer_pairs")
class VideoHallucerPairs(ParsedAnswerScorer):
    default_parser = "videohallucer_search"

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        pairs: dict[str, dict[str, dict[str, float]]] = {}
        for s, r in rows:
            pairs.setdefault(s.subset, {}).setdefault(s.meta["pair"], {})[s.meta["role"]] = r.score or 0.0
        for s, r in rows:
            pair = pairs[s.subset][s.meta["pair"]]
            r.detail["pair_correct"] = bool(pair.get("basic") and pair.get("hallucination"))
        metrics: dict[str, dict[str, float | None]] = {}
        for category, by_pair in pairs.items():
            items = list(by_pair.values())
            metrics[category] = {
                "basic_accuracy": pct(mean(p.get("basic", 0.0) for p in items)),
                "halluc_accuracy": pct(mean(p.get("hallucination", 0.0) for p in items)),
                "accuracy": pct(mean(float(bool(p.get("basic") and p.get("hallucination"))) for p in items)),
                "n_pairs": float(len(items)),
            }
        metrics["overall"] = {m: mean(v[m] for v in metrics.values() if v[m] is not None) for m in METRICS}
        versions = sorted({s.meta["temporal_version"] for s, _ in rows if "temporal_version" in s.meta})
        extra = {"temporal_version": ", ".join(versions)} if versions else {}
        notes = [f"overall = unweighted mean over {len(pairs)} categories"]
        if versions:
            notes.append(f"temporal annotation: {extra['temporal_version']}")
        return Aggregate(metrics, notes, extra)
