"""Vinoground text, video and group scores, exactly as the official get_score_all.py computes them.

Parser `vinoground_first_char`: an item is correct iff `response[:len(GT)].lower() == GT.lower()`. Pair k is
text-correct iff both its text items are, video-correct iff both video items are, group-correct iff both; scores
are percentages of pairs, overall ("all") and per category (major and minor, a pair counts in each of its).

Quirk kept by default (`missing_aborts_pair: true`): the official loop evaluates text pos, text neg, video pos,
video neg with short-circuit `and`, inside a try/except that skips the rest of the pair on a missing reply (KeyError)
while the pair stays in the denominator. So a missing reply for a text item also voids that pair's video credit.
With `missing_aborts_pair: false` a missing reply is simply wrong. Predictions with an error count as missing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row
from tarsier_eval.scoring.types import SampleResult, ScoreContext


class _Missing(Exception):
    """A reply the official script would look up and not find."""


def _pair_outcome(items: dict[tuple[str, str], SampleResult], abort: bool) -> tuple[bool, bool]:
    """(text_ok, video_ok) following the official evaluation order and its abort-on-missing behaviour."""

    def correct(kind: str, role: str) -> bool:
        r = items.get((kind, role))
        if r is None or r.status in ("missing", "error"):
            if abort:
                raise _Missing
            return False
        return r.score == 1.0

    text_ok = video_ok = False
    try:
        text_ok = correct("text", "pos") and correct("text", "neg")
        video_ok = correct("video", "pos") and correct("video", "neg")
    except _Missing:
        pass
    return text_ok, video_ok


@SCORERS.register("vinoground_pairs")
class VinogroundPairs(ParsedAnswerScorer):
    default_parser = "vinoground_first_char"
    options: ClassVar[dict[str, Any]] = {"missing_aborts_pair": True}

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        pairs: dict[int, dict[tuple[str, str], SampleResult]] = defaultdict(dict)
        cats: dict[int, list[str]] = {}
        for s, r in rows:
            pairs[s.meta["pair"]][(s.meta["kind"], s.meta["role"])] = r
            cats[s.meta["pair"]] = s.meta["categories"]
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # pairs, text, video, group
        for k in sorted(pairs):
            text_ok, video_ok = _pair_outcome(pairs[k], bool(ctx.option("missing_aborts_pair")))
            for cat in cats[k]:
                row = counts[cat]
                row[0] += 1
                row[1] += text_ok
                row[2] += video_ok
                row[3] += text_ok and video_ok
        metrics: dict[str, dict[str, float | None]] = {}
        for cat, (n, text, video, group) in counts.items():
            name = "overall" if cat == "all" else cat
            metrics[name] = {"text_score": pct(text / n), "video_score": pct(video / n), "group_score": pct(group / n)}
        metrics.setdefault("overall", {"text_score": None, "video_score": None, "group_score": None})
        return Aggregate(
            metrics, [f"{len(pairs)} pairs; item correct iff the reply's first character is the GT letter"]
        )
