"""RoboVQA BLEU-1..4: mean sentence BLEU of each answer against its GT answer, overall and per task type.

Two BLEUs are in circulation (docs/protocols/robovqa.md); the option `bleu` picks one:
- `sacrebleu` (protocols `official` and `sacrebleu-noprefix`): the official notebook (google-deepmind/robovqa
  data_loading_and_eval.ipynb) prints `sacrebleu.sentence_bleu(answer, pred_answer)` per QA, which swaps hypothesis
  and reference and passes a bare string as `refs` (sacrebleu >= 2 rejects it); the call as fixed, per QA:
  BLEU-n = sacrebleu `BLEU(max_ngram_order=n, smooth_method="exp", effective_order=True).sentence_score(reply,
  [answer])` (sacrebleu's sentence_bleu settings: tokenizer 13a, case-sensitive unless `lowercase: true`, exp
  smoothing of zero counts, effective order). The reference is the notebook's answer string, which keeps "A: "
  (`keep_answer_prefix: true`, official; false drops it: protocol `sacrebleu-noprefix`); the reply is stripped.
- `embodied` (protocol `embodied-bleu`, deepglint/unicom MLCD-Embodied's robo_metric.py): the reply's LAST line and
  the answer without "A: " (every occurrence) and without newlines, both lower-cased; when the answer is yes or no,
  every word containing "yes"/"no" in the reply becomes "yes"/"no"; tokens = split on single spaces; nltk
  sentence BLEU without smoothing (metrics/nltk_bleu.py) with weights by the reference length L: BLEU-1 (1,0,0,0);
  BLEU-2 (1,0,0,0) when L <= 1 else (.5,.5,0,0); BLEU-3/4 (1,0,0,0), (.5,.5,0,0) or (.33,.33,.33,0) for L <= 1, 2,
  3; BLEU-4 (.25,.25,.25,.25) from L = 4 on. The other options do not apply.
Task BLEU-n = mean over its QAs (micro; scores 0-100); `bleu_mean` = mean of BLEU-1..4. Subsets are the task
types; the headline is overall BLEU-4. QAs without a prediction, or with an inference error, score 0 (status
missing / error) and stay in the means, unless a status option says otherwise (`embodied-bleu` leaves missing QAs
out, as its script never sees them).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, ClassVar

from sacrebleu.metrics import BLEU

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean
from tarsier_eval.scoring.framework import Aggregate, Row, Scorer, Verdict
from tarsier_eval.scoring.metrics.nltk_bleu import sentence_bleu
from tarsier_eval.scoring.types import SampleResult, ScoreContext

ORDERS = (1, 2, 3, 4)


@cache
def _bleu(order: int, lowercase: bool) -> BLEU:
    return BLEU(max_ngram_order=order, smooth_method="exp", effective_order=True, lowercase=lowercase)


def reference_text(answer: str, keep_prefix: bool = False) -> str:
    """The GT answer as BLEU reference: the notebook's "A: ..." without its "A:" unless kept."""
    if not keep_prefix and answer[:2].lower() == "a:":
        return answer[2:].strip()
    return answer


def sentence_bleus(hypothesis: str, reference: str, lowercase: bool = False) -> dict[str, float]:
    """BLEU-1..4 (0-100) of one reply against one reference."""
    return {f"bleu{n}": _bleu(n, lowercase).sentence_score(hypothesis, [reference]).score for n in ORDERS}


def _embodied_weights(ref_len: int) -> list[tuple[float, ...]]:
    """The BLEU-1..4 weights of robo_metric.get_bleu_score for a reference of `ref_len` tokens."""
    uni, bi, tri = (1.0, 0.0, 0.0, 0.0), (0.5, 0.5, 0.0, 0.0), (0.33, 0.33, 0.33, 0.0)
    if ref_len <= 1:
        return [uni] * 4
    if ref_len == 2:
        return [uni, bi, bi, bi]
    return [uni, bi, tri, tri if ref_len == 3 else (0.25, 0.25, 0.25, 0.25)]


def embodied_bleus(reply: str, answer: str) -> dict[str, float]:
    """BLEU-1..4 (0-100) of one reply as MLCD-Embodied scores RoboVQA (see the module docstring)."""
    pred = reply.split("\n")[-1].lower()
    gt = answer.replace("A: ", "").replace("\n", "").lower()
    if gt in ("yes", "no"):
        pred = re.sub(r"\b\w*no\w*\b", "no", re.sub(r"\b\w*yes\w*\b", "yes", pred))
    reference, hypothesis = gt.split(" "), pred.split(" ")
    weights = _embodied_weights(len(reference))
    return {f"bleu{n}": 100 * sentence_bleu([reference], hypothesis, w) for n, w in zip(ORDERS, weights, strict=True)}


def _bleus(result: SampleResult) -> dict[str, float] | None:
    """A counted QA's BLEU-1..4 (0 for one without a usable prediction), None for one left out."""
    if result.score is None:
        return None
    return {f"bleu{n}": result.detail.get(f"bleu{n}", 0.0) for n in ORDERS}


def _summary(rows: list[dict[str, float]]) -> dict[str, float | None]:
    out = {f"bleu{n}": mean(r[f"bleu{n}"] for r in rows) for n in ORDERS}
    values = [v for v in out.values() if v is not None]
    out["bleu_mean"] = mean(values) if len(values) == len(ORDERS) else None
    return out


@SCORERS.register("robovqa_bleu")
class RoboVQABleu(Scorer):
    options: ClassVar[dict[str, Any]] = {"bleu": "sacrebleu", "keep_answer_prefix": True, "lowercase": False}

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        kind = ctx.option("bleu")
        if kind == "embodied":
            detail = embodied_bleus(response, sample.answer)
            return Verdict(response.split("\n")[-1], detail["bleu4"], detail)
        if kind != "sacrebleu":
            raise ConfigError(f"task robovqa: score option bleu must be sacrebleu or embodied, got {kind!r}")
        hyp = response.strip()
        reference = reference_text(sample.answer, bool(ctx.option("keep_answer_prefix")))
        detail = sentence_bleus(hyp, reference, bool(ctx.option("lowercase")))
        return Verdict(hyp, detail["bleu4"], detail)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        counted = [(s.subset, b) for s, r in rows if (b := _bleus(r)) is not None]
        metrics: dict[str, dict[str, float | None]] = {"overall": _summary([b for _, b in counted])}
        for subset in dict.fromkeys(s.subset for s, _ in rows):
            metrics[subset] = _summary([b for name, b in counted if name == subset])
        if ctx.option("bleu") == "embodied":
            notes = ["sentence BLEU as MLCD-Embodied (nltk, no smoothing, last line, lower-cased), mean over QAs"]
            extra: dict[str, Any] = {"bleu": "embodied"}
        else:
            notes = ["sentence BLEU (sacrebleu 13a, exp smoothing, effective order), mean over QAs; no official "
                     "aggregate"]  # fmt: skip
            extra = {"bleu": "sacrebleu", "keep_answer_prefix": ctx.option("keep_answer_prefix"),
                     "lowercase": ctx.option("lowercase")}  # fmt: skip
        return Aggregate(metrics, notes, extra)
