"""TemporalBench binary accuracy (BA) and multiple binary accuracy (MBA), as the official `get_qa_acc.py`.

Parser `temporalbench_first_char` (the reply's first character, case-insensitive). BA = mean over items; MBA =
share of `video_name` groups whose items are all correct. get_qa_acc.py scores one QA file at a time; here:
- short QA: `overall/ba`, `overall/mba`, per category (the subset) and per source dataset (`dataset=<name>`);
- long QA: subset `long_qa` (`ba`, `mba`), per source dataset (`long_qa:dataset=<name>`), and `overall/ba_long`,
  `overall/mba_long`;
- `overall/binary_accuracy`: the mean of short-QA BA and long-QA BA (None unless both splits are scored). This
  is the Tarsier2 paper's TemporalBench "Binary Accuracy" (docs/protocols/temporalbench.md: the paper's rows of
  GPT-4o, Gemini-1.5-Pro and Qwen2-VL are that mean of the TemporalBench paper's short and long BA, within 0.1).
Quirks kept by default:
- the official script only iterates over the predictions it is given, so an item without a prediction is left
  out of BA and of its video's group (policy `missing: exclude`; `missing: wrong` counts it wrong instead);
- an empty reply crashes the official script (`response[0]`); here it is wrong and counted as unparsed.
Captioning (get_captioning_score.py) is task temporalbench_caption, scorer `temporalbench_caption` below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct, pct_by_group
from tarsier_eval.scoring.framework import ParsedAnswerScorer, Row, Scorer, StatusPolicy, Table, Verdict
from tarsier_eval.scoring.metrics import sentsim
from tarsier_eval.scoring.types import ScoreContext

KEYS: dict[str, list[Callable[[Sample], str]]] = {
    "short_qa": [lambda s: "overall", lambda s: s.subset, lambda s: f"dataset={s.meta['dataset']}"],
    "long_qa": [lambda s: "long_qa", lambda s: f"long_qa:dataset={s.meta['dataset']}"],
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
    metrics: Table = {"overall": {"mba": None, "ba": None}}
    for split, keys in KEYS.items():
        part = [(s, r) for s, r in rows if s.meta.get("split", "short_qa") == split]
        for key_of in keys:
            ba = pct_by_group((key_of(s), r.score) for s, r in part)
            mba = multiple_binary((key_of(s), s.meta["video_name"], r.score) for s, r in part)
            for name, value in ba.items():
                metrics[name] = {"mba": mba.get(name), "ba": value}
    overall, long = metrics["overall"], metrics.get("long_qa", {})
    ba, ba_long = overall["ba"], long.get("ba")
    both = ba is not None and ba_long is not None
    overall.update(ba_long=ba_long, mba_long=long.get("mba"), binary_accuracy=(ba + ba_long) / 2 if both else None)
    return metrics


@SCORERS.register("temporalbench_mba")
class TemporalBenchAccuracy(ParsedAnswerScorer):
    default_parser = "temporalbench_first_char"
    policy = StatusPolicy(missing="exclude", error="exclude")
    metrics = (_ba_mba,)


def _similarity(rows: list[Row], ctx: ScoreContext) -> Table:
    pairs = [(key, r.score) for s, r in rows for key in ("overall", f"dataset={s.meta['dataset']}")]
    return {name: {"similarity": value} for name, value in pct_by_group(pairs).items()}


@SCORERS.register("temporalbench_caption")
class TemporalBenchCaption(Scorer):
    """get_captioning_score.py: the cosine similarity of each reply with its reference caption under
    all-MiniLM-L6-v2 (scoring/metrics/sentsim.py, the bundled model), averaged and x 100. Only the predictions
    given are scored (`missing: exclude`); a failed generation has no reply to embed (`error: exclude`).
    `overall/similarity` is the official number; `dataset=<name>/similarity` are the harness's own breakdown."""

    policy = StatusPolicy(missing="exclude", error="exclude")
    options: ClassVar[dict[str, Any]] = {"sentsim_device": "cpu"}
    metrics = (_similarity,)

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        (score,) = sentsim.dot_scores([response], [str(sample.answer)], ctx.option("sentsim_device"))
        return Verdict(None, score)
