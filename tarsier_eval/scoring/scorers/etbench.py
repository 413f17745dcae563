"""E.T. Bench: the official evaluation/compute_metrics.py (HF PolyU-ChenLab/ETBench) for all 12 tasks.

Samples are grouped by (task, source); every metric is computed per group, a task's metric is the mean over its
sources, and the merged numbers are means over tasks. Values are computed as the official 0-1 fractions, every
group value rounded to `round_digits` (5) decimals and the means over them too, as the official code does, then
reported as percentages. Groups are visited in the official order (tasks, then sources, by first appearance).
Per group:
- TVG, EPM ("F1", really recall@1): first parsed span vs the GT span, hit when IoU >= t; F1@t = hits / N,
  F1 = mean over t in {0.1, 0.3, 0.5, 0.7}; mIoU. Unparsed replies are misses.
- TAL (F1): all parsed spans vs all GT spans; per reply and t: 0 when no IoU reaches t, else the F1 of
  precision (share of predicted spans with an IoU >= t) and recall (share of GT spans); mean over N, then over t.
- EVS (F1): 1-second bins [round(s), round(e)) of GT and prediction over 0..999 s; per-reply F1 (0 without true
  positives); mean over the PARSED replies only (unparsed ones are left out of the denominator, as official;
  `evs_count_unparsed: true` counts them as 0).
- VHD ("F1", really a hit rate): the first number of the reply is a second; a hit when it lies in any GT span of
  any annotator; F1 = hits / N.
- DVC, SLC (F1, Sim, BLEU-1..4, ROUGE-L, CIDEr, METEOR): parsed (span, caption) events, at most 1000 per video;
  metrics/dvc_eval.py (the official DVCEval): per video precision = share of predictions with densevid IoU > t to
  some GT event, recall = share of GT events matched, averaged over the parsed videos; both scaled by (parsed
  videos / N); F1@t from the scaled P and R, F1 = mean over t. The caption metrics are means over t of means over
  parsed videos (not scaled: unparsed videos do not lower them) over (prediction, GT caption of IoU >= t) pairs; a
  prediction without one is paired with a random lower-case string drawn as the official code draws it, from
  random.Random(`official_random_seed`, default the run's seed) shared by the run. METEOR needs pycocoevalcap's
  Java jar (`meteor_jar`). Groups key videos by `video` as the official dict does (the later reply counts).
- RAR, ECA, RVQ (Acc): the letter of the first "(X)", else of a bare leading letter (after "best option:" and
  "("); else the option most similar (MiniLM dot score) to the reply, options rendered "(A) text" (ECA spans as
  "s - e"); an empty reply is wrong. Acc = hits / N.
- TEM (mRec): first span vs the best-matching GT span, R@t = hits / N, mRec = mean over t.
- GVQ (mRec, Acc): the answer as RVQ without the "(X)" search; grounding (first span vs GT, R@t) counted only for
  correctly answered samples; R@t = hits / N over all samples.
Merged: ref_acc (mean of RAR, ECA, RVQ), gnd_f1 (TVG, EPM, TAL, EVS, VHD: the paper's "Mean F1"), cap_f1 and
cap_sim (DVC, SLC), com_rec (TEM, GVQ); each only when all its tasks are present. The official log also prints a
"Mean F1"/"Mean SentSim"/"Mean Acc" over all (task, source) groups: reported as *_sources.
A missing prediction is left out of its group (policy `missing: exclude`: the official script only sees the
predictions it is given); an inference error is scored as an empty reply (`error: as_empty`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.framework import Aggregate, Row, Scorer, StatusPolicy, Verdict
from tarsier_eval.scoring.metrics import dvc_eval, sentsim
from tarsier_eval.scoring.metrics.meteor import Meteor, meteor_scorer
from tarsier_eval.scoring.metrics.temporal import iou_matrix
from tarsier_eval.scoring.parsers.etbench import parse_captions, parse_highlight, parse_spans, rule_option
from tarsier_eval.scoring.types import ScoreContext

THRESHOLDS = (0.1, 0.3, 0.5, 0.7)
MAX_PROPOSALS = 1000
MERGED = {
    "ref_acc": (("rar", "eca", "rvq"), "accuracy"),
    "gnd_f1": (("tvg", "epm", "tal", "evs", "vhd"), "f1"),
    "cap_f1": (("dvc", "slc"), "f1"),
    "cap_sim": (("dvc", "slc"), "sim"),
    "com_rec": (("tem", "gvq"), "mrec"),
}


@dataclass(frozen=True)
class _Env:
    """What the group aggregations share: the scoring context and the run's generator of random strings."""

    ctx: ScoreContext
    rng: random.Random
    meteor: Meteor | None = None


def _unparsed() -> Verdict:
    return Verdict(None, 0.0, parsed_ok=False)


def _pct(value: float) -> float:
    return 100.0 * value


def _hits(iou: float) -> list[bool]:
    """iou >= t for every threshold, on the Python float of a float32 IoU as the official `.item()` compares."""
    return [iou >= t for t in THRESHOLDS]


# ---- one reply ------------------------------------------------------------------------------------------------
def _first_span(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    """TVG/EPM (single GT span) and TEM (best of several GT spans): the first parsed span's IoU hits."""
    spans = parse_spans(reply)
    if spans is None:
        return _unparsed()
    gt = sample.meta["tgt"] if sample.meta["task"] == "tem" else [sample.meta["tgt"]]
    iou = float(np.max(iou_matrix(gt, [spans[0]])))
    row = _hits(iou)
    return Verdict(spans, sum(row) / len(row), {"iou": iou, "hits": row})


def _tal(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    spans = parse_spans(reply)
    if spans is None:
        return _unparsed()
    iou = iou_matrix(sample.meta["tgt"], spans)  # (GT, predictions), float32 as the official tensors
    row = []
    for t in THRESHOLDS:
        thr = np.float32(t)
        if np.max(iou) < thr:
            row.append(0.0)
            continue
        rec = float(np.mean(np.max(iou, axis=1) >= thr, dtype=np.float32))
        prc = float(np.mean(np.max(iou, axis=0) >= thr, dtype=np.float32))
        row.append(2 * prc * rec / (prc + rec) if prc + rec else 0.0)
    return Verdict(spans, sum(row) / len(row), {"f1_at": row})


def _bins(spans: list[list[float]]) -> set[int]:
    """The 1-second bins [round(s), round(e)) of 0..999 a list of spans covers (Python round, torch slicing)."""
    covered: set[int] = set()
    for span in spans:
        covered.update(range(1000)[max(0, round(span[0])) : round(span[1])])
    return covered


def _evs(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    spans = parse_spans(reply)
    if spans is None:
        return Verdict(None, 0.0 if ctx.option("evs_count_unparsed") else None, parsed_ok=False)
    gt, pred = _bins(sample.meta["tgt"]), _bins(spans)
    tp, fp, fn = len(gt & pred), len(pred - gt), len(gt - pred)
    f1 = 0.0 if tp == 0 else 2 * (tp / (tp + fp)) * (tp / (tp + fn)) / (tp / (tp + fp) + tp / (tp + fn))
    return Verdict(spans, f1, {"tp": tp, "fp": fp, "fn": fn})


def _vhd(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    second = parse_highlight(reply)
    if second is None:
        return _unparsed()
    gt = sample.meta["tgt"]
    annotators = gt if isinstance(gt[0][0], list) else [gt]
    hit = any(span[0] <= second <= span[1] for spans in annotators for span in spans)
    return Verdict(second, float(hit))


def _option_texts(options: list[Any]) -> list[str]:
    rendered = [f"{o[0]} - {o[1]}" if isinstance(o, list) else str(o) for o in options]
    return [f"({chr(ord('A') + i)}) {text}" for i, text in enumerate(rendered)]


def _choose(sample: Sample, reply: str, ctx: ScoreContext, paren_search: bool) -> tuple[int | None, dict[str, Any]]:
    """The chosen option index (None for an empty reply) and how it was chosen."""
    options = sample.meta["o"]
    rule = rule_option(reply, len(options), paren_search=paren_search)
    if rule.empty:
        return None, {"method": "empty", "failed": True}
    if rule.index is not None:
        return rule.index, {"method": "rule", "failed": False}
    index = sentsim.best_match(rule.text, _option_texts(options), ctx.option("sentsim_device"))
    return index, {"method": "similarity", "failed": not rule.matched}


def _mcq(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    index, detail = _choose(sample, reply, ctx, paren_search=True)
    correct = index is not None and index == sample.meta["p"]
    return Verdict(index, float(correct), detail, index is not None and not detail["failed"])


def _gvq(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    index, detail = _choose(sample, reply, ctx, paren_search=False)
    correct = index is not None and index == sample.meta["p"]
    detail["correct"] = correct
    detail["failed"] = detail["method"] == "empty"  # the official Failed: empty, or correct without a span
    row = [False] * len(THRESHOLDS)
    if correct:
        spans = parse_spans(reply)
        detail["failed"] = spans is None
        if spans is not None:
            iou = float(np.max(iou_matrix([sample.meta["tgt"]], [spans[0]])))
            row = _hits(iou)
            detail["iou"] = iou
    detail["hits"] = row
    return Verdict(index, sum(row) / len(row), detail, index is not None and not detail["failed"])


def _dvc(sample: Sample, reply: str, ctx: ScoreContext) -> Verdict:
    parsed = parse_captions(reply)
    if parsed is None:
        return _unparsed()
    spans, caps = parsed[0][:MAX_PROPOSALS], parsed[1][:MAX_PROPOSALS]
    pr = [dvc_eval.detection(sample.meta["tgt"], spans, t) for t in THRESHOLDS]
    f1 = [2 * p * r / (p + r) if p + r else 0.0 for p, r in pr]
    return Verdict([[s, c] for s, c in zip(spans, caps, strict=True)], sum(f1) / len(f1), {"precision_recall": pr})


REPLY: dict[str, Callable[[Sample, str, ScoreContext], Verdict]] = {
    "tvg": _first_span, "epm": _first_span, "tem": _first_span, "tal": _tal, "evs": _evs, "vhd": _vhd,
    "dvc": _dvc, "slc": _dvc, "rar": _mcq, "eca": _mcq, "rvq": _mcq, "gvq": _gvq,
}  # fmt: skip


# ---- one (task, source) group: values as the official 0-1 fractions -----------------------------------------
def _summed(rows: list[Row], key: str) -> list[float]:
    """Per threshold, the sum over rows of detail[key] (a row without it adds nothing)."""
    totals = [0.0] * len(THRESHOLDS)
    for _, r in rows:
        totals = [a + float(b) for a, b in zip(totals, r.detail.get(key, [0.0] * len(THRESHOLDS)), strict=True)]
    return totals


def _ious(rows: list[Row]) -> float:
    return sum(0.0 if np.isnan(r.detail["iou"]) else r.detail["iou"] for _, r in rows if "iou" in r.detail)


def _recall_group(rows: list[Row], env: _Env) -> dict[str, float]:
    n = len(rows)
    recalls = [h / n for h in _summed(rows, "hits")]
    prefix = "r" if rows[0][0].meta["task"] == "tem" else "f1"
    metrics = {f"{prefix}@{t}": r for t, r in zip(THRESHOLDS, recalls, strict=True)}
    metrics["mrec" if prefix == "r" else "f1"] = sum(recalls) / len(recalls)
    metrics["miou"] = _ious(rows) / n
    return metrics


def _tal_group(rows: list[Row], env: _Env) -> dict[str, float]:
    f1s = [x / len(rows) for x in _summed(rows, "f1_at")]
    metrics = {f"f1@{t}": f for t, f in zip(THRESHOLDS, f1s, strict=True)}
    metrics["f1"] = sum(f1s) / len(f1s)
    return metrics


def _evs_group(rows: list[Row], env: _Env) -> dict[str, float]:
    scores = [r.score for _, r in rows if r.score is not None]
    return {"f1": sum(scores) / len(scores) if scores else 0.0}


def _hit_group(rows: list[Row], env: _Env) -> dict[str, float]:
    key = "accuracy" if rows[0][0].meta["task"] in ("rar", "eca", "rvq") else "f1"
    return {key: sum(r.score or 0.0 for _, r in rows) / len(rows)}


def _gvq_group(rows: list[Row], env: _Env) -> dict[str, float]:
    n = len(rows)
    recalls = [h / n for h in _summed(rows, "hits")]
    metrics = {f"r@{t}": r for t, r in zip(THRESHOLDS, recalls, strict=True)}
    n_correct = sum(bool(r.detail.get("correct")) for _, r in rows)
    metrics.update(mrec=sum(recalls) / len(recalls), accuracy=n_correct / n, miou=_ious(rows) / n)
    return metrics


def _dvc_group(rows: list[Row], env: _Env) -> dict[str, float]:
    """dvc_eval: F1 from the precision and recall scaled by the parsed share; caption metrics over parsed videos."""
    videos: dict[str, dvc_eval.Video] = {}
    for s, r in rows:
        if r.parsed is not None:  # keyed by video: a later reply on the same video replaces an earlier one
            spans, captions = [e[0] for e in r.parsed], [e[1] for e in r.parsed]
            videos[s.meta["video"]] = dvc_eval.Video(s.meta["tgt"], s.meta["g"], spans, captions)
    scale = len(videos) / len(rows)
    if videos:
        device = env.ctx.option("sentsim_device")
        similarity = partial(sentsim.dot_scores, device=device)
        scores = dvc_eval.evaluate(list(videos.values()), env.rng, similarity, env.meteor)
    else:  # no parsed video: every value 0, as the official
        names = ("precision", "recall", *(m for m in dvc_eval.CAPTION_METRICS if m != "meteor" or env.meteor))
        scores = {name: [0.0] * len(THRESHOLDS) for name in names}
    metrics: dict[str, float | None] = {}
    f1s = []
    for t, p, r in zip(THRESHOLDS, scores["precision"], scores["recall"], strict=True):
        p, r = p * scale, r * scale
        f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
        metrics[f"f1@{t}"] = f1s[-1]
    metrics["f1"] = sum(f1s) / len(f1s)
    for name, values in scores.items():
        scaled = [v * scale for v in values] if name in ("precision", "recall") else values
        metrics[name] = sum(scaled) / len(scaled)
    return metrics


GROUP: dict[str, Callable[[list[Row], _Env], dict[str, float | None]]] = {
    "tvg": _recall_group, "epm": _recall_group, "tem": _recall_group, "tal": _tal_group, "evs": _evs_group,
    "vhd": _hit_group, "dvc": _dvc_group, "slc": _dvc_group, "rar": _hit_group, "eca": _hit_group,
    "rvq": _hit_group, "gvq": _gvq_group,
}  # fmt: skip


# ---- groups, tasks, merged -------------------------------------------------------------------------------------
def _groups(rows: list[Row]) -> dict[tuple[str, str], list[Row]]:
    """Rows by (task, source) in the official order: tasks by first appearance, then sources within the task."""
    by_task: dict[str, dict[str, list[Row]]] = {}
    for s, r in rows:
        by_task.setdefault(s.meta["task"], {}).setdefault(s.meta["source"], []).append((s, r))
    return {(task, source): members for task, sources in by_task.items() for source, members in sources.items()}


def _rounded(value: float | None, digits: int | None) -> float | None:
    return value if value is None or digits is None else round(value, digits)


def _mean(values: list[float | None], digits: int | None) -> float | None:
    """The official `round(sum(values) / len(values), 5)` (None when a value is missing)."""
    return None if not values or None in values else _rounded(sum(values) / len(values), digits)  # type: ignore[arg-type]


def _task_means(per_source: dict[tuple[str, str], dict], digits: int | None) -> dict[str, dict[str, float | None]]:
    tasks: dict[str, list[dict]] = {}
    for (task, _), metrics in per_source.items():
        tasks.setdefault(task, []).append(metrics)
    return {task: {k: _mean([m[k] for m in rows], digits) for k in rows[0]} for task, rows in tasks.items()}


def _overall(tasks: dict, per_source: dict, digits: int | None) -> dict[str, float | None]:
    """Merged (sum of the task values x 100 / n, as the official table) and the log's means over all groups."""
    overall: dict[str, float | None] = {}
    for name, (members, metric) in MERGED.items():
        present = all(t in tasks for t in members)
        values = [tasks[t][metric] for t in members] if present else []
        overall[name] = float(sum(values) * 100 / len(values)) if values and None not in values else None
        rows = [m[metric] for (task, _), m in per_source.items() if task in members]
        sources = _mean(rows, digits) if present else None
        overall[f"{name}_sources"] = None if sources is None else float(_pct(sources))
    return overall


def _percent(table: dict[str, float | None]) -> dict[str, float | None]:
    return {k: None if v is None else float(_pct(v)) for k, v in table.items()}


@SCORERS.register("etbench")
class ETBench(Scorer):
    policy = StatusPolicy(missing="exclude", error="as_empty")
    options: ClassVar[dict[str, Any]] = {
        "evs_count_unparsed": False,
        "sentsim_device": "cpu",
        "official_random_seed": None,
        "round_digits": 5,
        "meteor_jar": None,
    }

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        return REPLY[sample.meta["task"]](sample, response, ctx)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        policy = self.policy.with_options(ctx.options, "etbench")
        dropped = {status for status in ("missing", "error") if getattr(policy, status) == "exclude"}
        groups = _groups([(s, r) for s, r in rows if r.status not in dropped])
        rng = random.Random(_seed(ctx))
        digits = ctx.option("round_digits")
        captions = any(task in ("dvc", "slc") for task, _ in groups)
        meteor = meteor_scorer(ctx.option("meteor_jar")) if captions else None
        env = _Env(ctx, rng, meteor)
        per_source = {key: {k: _rounded(v, digits) for k, v in GROUP[key[0]](members, env).items()}
                      for key, members in groups.items()}  # fmt: skip
        failed = {f"{task}/{source}": sum(r.parsed is None or bool(r.detail.get("failed")) for _, r in members)
                  for (task, source), members in groups.items()}  # fmt: skip
        tasks = _task_means(per_source, digits)
        metrics: dict[str, dict[str, float | None]] = {task: _percent(m) for task, m in tasks.items()}
        metrics.update({f"{task}/{source}": _percent(m) for (task, source), m in per_source.items()})
        metrics["overall"] = _overall(tasks, per_source, digits)
        extra: dict[str, Any] = {"failed": failed}
        if captions and meteor is None and ctx.option("meteor_jar"):
            extra["unavailable"] = {"meteor": METEOR_MISSING}
        return Aggregate(metrics, _notes(metrics, ctx, digits, captions and meteor is None), extra)


def _seed(ctx: ScoreContext) -> int:
    """The seed of the random strings: the option `official_random_seed`, else the run's seed."""
    seed = ctx.option("official_random_seed")
    if seed is None:
        return ctx.seed
    try:
        return int(seed)
    except (TypeError, ValueError):
        raise ConfigError(f"task etbench: score option official_random_seed must be an integer, got {seed!r}") from None


METEOR_MISSING = ("METEOR not computed: it runs pycocoevalcap's Java jar (score option meteor_jar=auto with a JRE "
                  "and pycocoevalcap installed, or meteor_jar=PATH)")  # fmt: skip


def _notes(metrics: dict, ctx: ScoreContext, digits: int | None, no_meteor: bool) -> list[str]:
    notes = [
        "task metric = mean over its sources; merged metrics = mean over tasks (official 'Merged' table)",
        "TVG/EPM 'F1' is recall@1 over IoU 0.1/0.3/0.5/0.7; VHD 'F1' is the highlight hit rate",
        "EVS counts unparsed replies as 0 (evs_count_unparsed)" if ctx.option("evs_count_unparsed")
        else "EVS leaves unparsed replies out of its mean (official)",
        f"DVC/SLC captions without a matching GT event are scored against random strings drawn as the official "
        f"code draws them, from random.Random({_seed(ctx)}) (official: the unseeded global "
        f"random, so an official run is reproduced only when it was seeded alike)",
        f"every (task, source) value rounded to {digits} decimals before the means (official)" if digits is not None
        else "no intermediate rounding (round_digits: null; the official rounds every group to 5 decimals)",
    ]  # fmt: skip
    if no_meteor:
        notes.append(METEOR_MISSING)
    missing = [name for name, value in metrics["overall"].items() if value is None]
    if missing:
        notes.append(f"not computed (tasks absent): {', '.join(missing)}")
    return notes
