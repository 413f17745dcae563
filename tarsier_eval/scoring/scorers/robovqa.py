"""RoboVQA BLEU-1..4: mean sentence BLEU of each answer against its GT answer, overall and per task type.

No official aggregate exists. The official notebook (google-deepmind/robovqa data_loading_and_eval.ipynb) only
prints `sacrebleu.sentence_bleu(answer, pred_answer)` per QA: hypothesis and reference swapped, and a bare string as
`refs`, which sacrebleu >= 2 rejects ("The argument `refs` should be a sequence of strings"), so it cannot be
followed. This scorer implements what video-LLM papers report as RoboVQA BLEU-1..4:
- reference = the GT answer without the "A:" the notebook's parser keeps (`keep_answer_prefix: true` keeps it);
  hypothesis = the model's reply, whitespace-stripped;
- BLEU-n = sacrebleu `BLEU(max_ngram_order=n, smooth_method="exp", effective_order=True).sentence_score(hyp,
  [ref])` (sacrebleu's sentence_bleu settings): tokenizer 13a, case-sensitive (`lowercase: true` lower-cases
  both), cumulative geometric mean of the 1..n-gram precisions times the brevity penalty, exp smoothing of zero
  counts, effective order (a one-word answer that matches scores 100 on every BLEU-n);
- task BLEU-n = mean over its QAs (micro; scores 0-100); `bleu_mean` = mean of BLEU-1..4. Subsets are the task
  types; the headline is overall BLEU-4.
QAs without a prediction, or with an inference error, score 0 (status missing / error) and stay in the means.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from sacrebleu.metrics import BLEU

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean
from tarsier_eval.scoring.framework import Aggregate, Row, Scorer, Verdict
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
    options: ClassVar[dict[str, Any]] = {"keep_answer_prefix": False, "lowercase": False}

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        hyp = response.strip()
        reference = reference_text(sample.answer, bool(ctx.option("keep_answer_prefix")))
        detail = sentence_bleus(hyp, reference, bool(ctx.option("lowercase")))
        return Verdict(hyp, detail["bleu4"], detail)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        counted = [(s.subset, b) for s, r in rows if (b := _bleus(r)) is not None]
        metrics: dict[str, dict[str, float | None]] = {"overall": _summary([b for _, b in counted])}
        for subset in dict.fromkeys(s.subset for s, _ in rows):
            metrics[subset] = _summary([b for name, b in counted if name == subset])
        notes = ["sentence BLEU (sacrebleu 13a, exp smoothing, effective order), mean over QAs; no official aggregate"]
        extra = {"keep_answer_prefix": ctx.option("keep_answer_prefix"), "lowercase": ctx.option("lowercase")}
        return Aggregate(metrics, notes, extra)
