"""E.T. Bench's DVCEval (evaluation/compute_metrics.py; a densevid_eval variant) for one (task, source) group.

`evaluate(videos, ...)` returns, per tIoU in (0.1, 0.3, 0.5, 0.7), the group's detection precision and recall
(strict IoU > t, mean over the parsed videos) and its caption metrics: every prediction is paired with each GT
caption whose densevid IoU is >= t, or, when there is none, with a random string of 10-20 lower-case letters;
the captions of all pairs are PTB-tokenized in two batches (predictions, references) as pycocoevalcap does, every
metric is computed per video over its pairs (BLEU-1..4, ROUGE-L and CIDEr-D as pycocoevalcap, METEOR when a
scorer for it is given, sentence similarity = the mean MiniLM dot score of the pairs) and averaged over videos.

Random strings are drawn as the official code draws them, from the generator `rng` shared by the whole run:
thresholds in order, videos in order, predictions in order, `randint(10, 20)` then that many `choice(a-z)`. The
official code uses Python's global, unseeded `random` and visits a group's videos in Python `set` order (which
depends on PYTHONHASHSEED), so an official run can only be reproduced to the last digit when it was seeded with
`random.seed(S)` and at most one video of a group draws (or the hash seed is known); see docs/protocols/etbench.md.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tarsier_eval.scoring.metrics import coco_caption
from tarsier_eval.scoring.metrics.ptb import ptb_tokenize_batch
from tarsier_eval.scoring.metrics.temporal import densevid_iou

THRESHOLDS = (0.1, 0.3, 0.5, 0.7)
CAPTION_METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "sim")

# (references, hypotheses) of one video's pairs, keyed by pair index -> score
CaptionScorer = Callable[[dict[int, list[str]], dict[int, str]], float]


@dataclass(frozen=True)
class Video:
    """One parsed reply of the group: GT spans and captions, predicted spans and captions (at most 1,000)."""

    gt_spans: Sequence[Sequence[float]]
    gt_captions: Sequence[str]
    spans: Sequence[Sequence[float]]
    captions: Sequence[str]


def detection(gt: Sequence[Sequence[float]], pred: Sequence[Sequence[float]], t: float) -> tuple[float, float]:
    """(precision, recall) of one video at tIoU t, strict IoU > t (DVCEval.evaluate_detection)."""
    refs, preds = set(), set()
    for i, p in enumerate(pred):
        for j, g in enumerate(gt):
            if densevid_iou(p, g) > t:
                refs.add(j)
                preds.add(i)
    return len(preds) / len(pred), len(refs) / len(gt)


def random_string(rng: random.Random) -> str:
    """The official `random_string(random.randint(10, 20))`: draws in the same order from `rng`."""
    length = rng.randint(10, 20)
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


def _pairs(videos: Sequence[Video], t: float, rng: random.Random) -> list[tuple[int, str, str]]:
    """(video index, predicted caption, reference) for every pair at tIoU t, in the official order."""
    pairs = []
    for index, video in enumerate(videos):
        for span, caption in zip(video.spans, video.captions, strict=True):
            matched = [c for g, c in zip(video.gt_spans, video.gt_captions, strict=True) if densevid_iou(span, g) >= t]
            pairs += [(index, caption, ref) for ref in matched or [random_string(rng)]]
    return pairs


def _video_scores(refs: dict[int, list[str]], hyps: dict[int, str], sims: list[float], meteor: CaptionScorer | None):
    """One video's caption metrics over its pairs (pair index -> tokenized reference / hypothesis)."""
    scores = dict(zip(("bleu1", "bleu2", "bleu3", "bleu4"), coco_caption.bleu(refs, hyps), strict=True))
    if meteor is not None:
        scores["meteor"] = meteor(refs, hyps)
    scores.update(rouge_l=coco_caption.rouge_l(refs, hyps), cider=coco_caption.cider_d(refs, hyps))
    scores["sim"] = sum(sims[i] for i in hyps) / len(hyps)
    return scores


def _caption_scores(
    videos: Sequence[Video], t: float, rng: random.Random, similarity: Callable, meteor: CaptionScorer | None
) -> dict[str, np.float64]:
    """The caption metrics at tIoU t: per video over its pairs, then the mean over videos (numpy floats, as the
    official np.mean gives: the official round() of them and of their sums rounds the numpy way, half to even)."""
    pairs = _pairs(videos, t, rng)
    hyps = ptb_tokenize_batch([p[1] for p in pairs])
    refs = ptb_tokenize_batch([p[2] for p in pairs])
    sims = similarity(refs, hyps)
    names = [m for m in CAPTION_METRICS if m != "meteor" or meteor is not None]
    per_video = []
    for index in range(len(videos)):
        mine = [i for i, p in enumerate(pairs) if p[0] == index]
        if not mine:  # no pairs: every metric 0, as the official
            per_video.append(dict.fromkeys(names, 0.0))
            continue
        per_video.append(_video_scores({i: [refs[i]] for i in mine}, {i: hyps[i] for i in mine}, sims, meteor))
    return {name: np.mean([v[name] for v in per_video]) for name in names}


def evaluate(
    videos: Sequence[Video], rng: random.Random, similarity: Callable, meteor: CaptionScorer | None = None
) -> dict[str, list[float]]:
    """Per metric (precision, recall, the caption metrics), its value at each threshold (0-1; CIDEr 0-10).
    `similarity(refs, hyps)` gives the dot score of each pair; METEOR only with a `meteor` scorer."""
    out: dict[str, list[float]] = {}
    for t in THRESHOLDS:
        for name, value in _caption_scores(videos, t, rng, similarity, meteor).items():
            out.setdefault(name, []).append(value)
    for t in THRESHOLDS:
        pr = [detection(v.gt_spans, v.spans, t) for v in videos]
        out.setdefault("precision", []).append(sum(p for p, _ in pr) / len(pr))
        out.setdefault("recall", []).append(sum(r for _, r in pr) / len(pr))
    return out
