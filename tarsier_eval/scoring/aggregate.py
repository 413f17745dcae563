"""Aggregations scorers declare: means by subset or by any sample key, micro vs macro overall, percentages.

A metric is a function `(rows, ctx) -> {subset: {metric: value}}` over the scored rows (sample, result); a sample
whose score is None (excluded by its status policy) is in no denominator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from tarsier_eval.data.sample import Sample
from tarsier_eval.scoring.types import SampleResult, ScoreContext

if TYPE_CHECKING:
    from tarsier_eval.scoring.framework import Metric, Row, Table


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def pct(value: float | None, digits: int | None = None) -> float | None:
    if value is None:
        return None
    scaled = 100.0 * value
    return round(scaled, digits) if digits is not None else scaled


def pct_by_group(items: Iterable[tuple[str, float | None]]) -> dict[str, float | None]:
    """`{group: % mean}` over (group, score) pairs in first-seen order; a None score does not count, and a group
    whose scores are all None maps to None."""
    groups: dict[str, list[float]] = {}
    for name, score in items:
        bucket = groups.setdefault(name, [])
        if score is not None:
            bucket.append(score)
    return {name: pct(mean(vals)) for name, vals in groups.items()}


def accuracy_by(key: Callable[[Sample], str], metric: str = "accuracy") -> Metric:
    """`{key(sample): {metric: %}}`: the mean score of each group of samples."""

    def table(rows: list[Row], ctx: ScoreContext) -> Table:
        return {name: {metric: value} for name, value in pct_by_group((key(s), r.score) for s, r in rows).items()}

    return table


def by_subset(sample: Sample) -> str:
    return sample.subset


def overall(sample: Sample) -> str:
    return "overall"


def micro_macro(results: list[SampleResult], metric: str = "accuracy") -> Table:
    """`{subset: {metric: %}}` plus "overall" micro and macro; subsets with no counted sample are left out."""
    groups: dict[str, list[float]] = {}
    for r in results:
        if r.score is not None:
            groups.setdefault(r.subset, []).append(r.score)
    table: Table = {name: {metric: pct(mean(vals))} for name, vals in groups.items()}
    all_scores = [v for vals in groups.values() for v in vals]
    subset_means = [m for m in (mean(vals) for vals in groups.values()) if m is not None]
    table["overall"] = {f"{metric}_micro": pct(mean(all_scores)), f"{metric}_macro": pct(mean(subset_means))}
    return table
