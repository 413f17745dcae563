"""Vinoground text, video and group scores, exactly as the official get_score_all.py computes them.

Parser `vinoground_first_char`: an item is correct iff `response[:len(GT)].lower() == GT.lower()`. Pair k is
text-correct iff both its text items are, video-correct iff both video items are, group-correct iff both; scores
are percentages of pairs, overall ("all") and per category (major and minor, a pair counts in each of its).

The official loop evaluates text pos, text neg, video pos, video neg with short-circuit `and`, inside a
try/except that skips the rest of the pair when reading a reply raises, while the pair stays in the denominator:
- a missing reply raises KeyError (`missing_aborts_pair: true`); predictions with an error count as missing;
- an empty reply raises IndexError (`response[0]` of the string the eval scripts save; `empty_aborts_pair: true`).
So a missing or empty text reply also voids that pair's video credit. Per item, the score follows the official
item expression: None where it raises (status missing/error/unparsed, policy "exclude"), which does NOT take the
pair out of any denominator. lmms-eval (protocol `lmms-eval`) has no abort: both options false, and a missing or
empty reply is an ordinary wrong item (`missing: wrong`, `unparsed: wrong`; lmms-eval itself crashes on an empty
reply, so that case has no lmms-eval number to match).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import pct
from tarsier_eval.scoring.framework import Aggregate, ParsedAnswerScorer, Row, StatusPolicy
from tarsier_eval.scoring.types import SampleResult, ScoreContext


class _Raised(Exception):
    """A reply whose official reading raises (missing: KeyError; empty: IndexError)."""


def _pair_outcome(items: dict[tuple[str, str], SampleResult], ctx: ScoreContext) -> tuple[bool, bool]:
    """(text_ok, video_ok) following the official evaluation order and its abort-on-exception behaviour."""
    aborts = {"missing": ctx.option("missing_aborts_pair"), "error": ctx.option("missing_aborts_pair"),
              "unparsed": ctx.option("empty_aborts_pair")}  # fmt: skip

    def correct(kind: str, role: str) -> bool:
        r = items.get((kind, role))
        status = "missing" if r is None else r.status
        if aborts.get(status):
            raise _Raised
        return r is not None and r.score == 1.0

    text_ok = video_ok = False
    try:
        text_ok = correct("text", "pos") and correct("text", "neg")
        video_ok = correct("video", "pos") and correct("video", "neg")
    except _Raised:
        pass
    return text_ok, video_ok


@SCORERS.register("vinoground_pairs")
class VinogroundPairs(ParsedAnswerScorer):
    default_parser = "vinoground_first_char"
    policy = StatusPolicy(missing="exclude", error="exclude", unparsed="exclude")
    options: ClassVar[dict[str, Any]] = {"missing_aborts_pair": True, "empty_aborts_pair": True}

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        pairs: dict[int, dict[tuple[str, str], SampleResult]] = defaultdict(dict)
        cats: dict[int, list[str]] = {}
        for s, r in rows:
            pairs[s.meta["pair"]][(s.meta["kind"], s.meta["role"])] = r
            cats[s.meta["pair"]] = s.meta["categories"]
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # pairs, text, video, group
        for k in sorted(pairs):
            text_ok, video_ok = _pair_outcome(pairs[k], ctx)
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
        notes = [f"{len(pairs)} pairs; item correct iff the reply's first character is the GT letter; pair scores "
                 "over every pair, a pair whose reply is missing or empty keeps its place in every denominator"]  # fmt: skip
        return Aggregate(metrics, notes)
