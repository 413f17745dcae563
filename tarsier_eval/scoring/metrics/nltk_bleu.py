"""Sentence BLEU with the definition of nltk's `sentence_bleu` (nltk 3.x, default: no smoothing), written for this
project so that nltk need not be installed.

- modified n-gram precision for n = 1..len(weights): hypothesis n-gram counts clipped by the largest count in any
  reference, over the hypothesis's n-gram count (at least 1);
- no unigram match: the score is 0; otherwise a precision with no match becomes the smallest positive float
  (nltk's `method0`), so an order with a positive weight drives the score to ~1e-77 and one with weight 0 is inert;
- brevity penalty from the reference length closest to the hypothesis's (the shorter on ties): 1 when the
  hypothesis is longer, else exp(1 - r / c);
- score = BP x exp(fsum(w_n x log p_n)); weights are used as given (not renormalised).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(references: Sequence[Sequence[str]], hypothesis: Sequence[str], n: int) -> Fraction:
    """Clipped n-gram matches over the hypothesis's n-grams (denominator at least 1), unreduced."""
    counts = _ngrams(hypothesis, n)
    best: Counter = Counter()
    for reference in references:
        ref_counts = _ngrams(reference, n)
        for gram in counts:
            best[gram] = max(best[gram], ref_counts[gram])
    matched = sum(min(count, best[gram]) for gram, count in counts.items())
    return Fraction(matched, max(1, sum(counts.values())), _normalize=False)


def sentence_bleu(references: Sequence[Sequence[str]], hypothesis: Sequence[str], weights: Sequence[float]) -> float:
    """nltk.translate.bleu_score.sentence_bleu(references, hypothesis, weights) without smoothing."""
    precisions = [modified_precision(references, hypothesis, n) for n in range(1, len(weights) + 1)]
    if precisions[0].numerator == 0:
        return 0.0
    ref_len = min((len(r) for r in references), key=lambda length: (abs(length - len(hypothesis)), length))
    penalty = 1.0 if len(hypothesis) > ref_len else math.exp(1 - ref_len / len(hypothesis))
    logs = [w * math.log(p if p.numerator else sys.float_info.min) for w, p in zip(weights, precisions, strict=True)]
    return penalty * math.exp(math.fsum(logs))
