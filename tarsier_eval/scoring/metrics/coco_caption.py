"""Caption metrics with the definitions of pycocoevalcap 1.2 (the COCO caption evaluation), written for this project.

Each takes `refs` {key: [reference, ...]} and `hyps` {key: hypothesis}, already PTB-tokenized (metrics/ptb.py), and
returns the corpus score pycocoevalcap's `compute_score(gts, res)` returns:
- `bleu`: corpus BLEU-1..4 (n-gram counts clipped by the most frequent reference occurrence, summed over the corpus;
  brevity penalty from the reference length closest to each hypothesis, the shorter on ties; the cumulative
  geometric mean uses (correct + 1e-15) / (guess + 1e-9) so that an empty corpus scores 0);
- `rouge_l`: mean over keys of the LCS F-measure (beta 1.2) against the best reference (max precision and max
  recall taken separately), tokens split on single spaces;
- `cider_d`: mean over keys of CIDEr-D (pycocoevalcap's `Cider`): tf-idf n-gram vectors (n = 1..4, document
  frequencies over this corpus's references, idf log(N) - log(df)), per n the cosine similarity with the hypothesis
  weights clipped at the reference's, times a Gaussian penalty exp(-d^2 / 72) on the length difference d (counted
  in BIGRAMS, as the original code does), averaged over n and references, times 10.
Sums and means follow the original's order and numpy means, so results agree to the last digit or so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

N = 4
TINY, SMALL = 1e-15, 1e-9
BETA = 1.2
SIGMA = 6.0

Refs = Mapping[Hashable, Sequence[str]]
Hyps = Mapping[Hashable, str]


def ngram_counts(words: Sequence[str], n: int = N) -> Counter:
    """Counts of every 1..n-gram of `words` (tuples)."""
    return Counter(tuple(words[i : i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1))


def bleu(refs: Refs, hyps: Hyps) -> list[float]:
    """Corpus BLEU-1..4 (pycocoevalcap Bleu(4), option "closest")."""
    correct, guess = [0] * N, [0] * N
    hyp_len = ref_len = 0
    for key, hyp in hyps.items():
        words = hyp.split()
        clip: dict[tuple[str, ...], int] = {}
        lengths = []
        for ref in refs[key]:
            ref_words = ref.split()
            lengths.append(len(ref_words))
            for gram, count in ngram_counts(ref_words).items():
                clip[gram] = max(clip.get(gram, 0), count)
        hyp_len += len(words)
        ref_len += min((abs(length - len(words)), length) for length in lengths)[1]
        for k in range(N):
            guess[k] += max(0, len(words) - k)
        for gram, count in ngram_counts(words).items():
            correct[len(gram) - 1] += min(clip.get(gram, 0), count)
    scores, product = [], 1.0
    for k in range(N):
        product *= float(correct[k] + TINY) / (guess[k] + SMALL)
        scores.append(product ** (1.0 / (k + 1)))
    ratio = (hyp_len + TINY) / (ref_len + SMALL)
    if ratio < 1:
        scores = [s * math.exp(1 - 1 / ratio) for s in scores]
    return scores


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence."""
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(refs: Refs, hyps: Hyps) -> float:
    """Mean ROUGE-L F-measure (pycocoevalcap Rouge)."""
    scores = []
    for key, hyp in hyps.items():
        tokens = hyp.split(" ")
        lcs = [(_lcs(ref.split(" "), tokens), len(ref.split(" "))) for ref in refs[key]]
        precision = max(common / float(len(tokens)) for common, _ in lcs)
        recall = max(common / float(length) for common, length in lcs)
        if precision != 0 and recall != 0:
            scores.append(((1 + BETA**2) * precision * recall) / float(recall + BETA**2 * precision))
        else:
            scores.append(0.0)
    return float(np.mean(np.array(scores)))


def _tfidf(counts: Counter, df: Mapping, log_n: float) -> tuple[list[dict], list[float], int]:
    """Per n-gram order the tf-idf weights and their norm, and the length (the number of bigrams)."""
    vec: list[dict] = [{} for _ in range(N)]
    norm = [0.0] * N
    for gram, tf in counts.items():
        order = len(gram) - 1
        vec[order][gram] = float(tf) * (log_n - np.log(max(1.0, df.get(gram, 0.0))))
        norm[order] += pow(vec[order][gram], 2)
    return vec, [float(np.sqrt(x)) for x in norm], sum(tf for gram, tf in counts.items() if len(gram) == 2)


def _cider_pair(hyp: tuple, ref: tuple) -> np.ndarray:
    (vec_h, norm_h, len_h), (vec_r, norm_r, len_r) = hyp, ref
    delta = float(len_h - len_r)
    val = np.zeros(N)
    for order in range(N):
        for gram, weight in vec_h[order].items():
            val[order] += min(weight, vec_r[order].get(gram, 0.0)) * vec_r[order].get(gram, 0.0)
        if norm_h[order] != 0 and norm_r[order] != 0:
            val[order] /= norm_h[order] * norm_r[order]
        val[order] *= math.e ** (-(delta**2) / (2 * SIGMA**2))
    return val


def cider_d(refs: Refs, hyps: Hyps) -> float:
    """Mean CIDEr-D (pycocoevalcap Cider, sigma 6) with document frequencies over this corpus."""
    keys = list(hyps)
    ref_counts = {key: [ngram_counts(r.split()) for r in refs[key]] for key in keys}
    df: Counter = Counter(gram for key in keys for gram in {g for counts in ref_counts[key] for g in counts})
    log_n = float(np.log(float(len(keys))))
    scores = []
    for key in keys:
        hyp = _tfidf(ngram_counts(hyps[key].split()), df, log_n)
        total = np.zeros(N)
        for counts in ref_counts[key]:
            total += _cider_pair(hyp, _tfidf(counts, df, log_n))
        scores.append(float(np.mean(total)) / len(ref_counts[key]) * 10.0)
    return float(np.mean(np.array(scores)))
