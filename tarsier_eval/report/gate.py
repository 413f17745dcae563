"""Regression gates: candidate vs baseline run (paired bootstrap over samples) or vs the published numbers.

A run-vs-run check fails when the candidate is worse by more than the tolerance AND the regression is
significant: the upper end of the 95% paired-bootstrap CI of (candidate - baseline) is below 0. Metrics that are
not per-sample means (F1 of averaged P/R, macro averages...) get no CI; they fail on the tolerance alone. A task of
the baseline that the candidate lacks fails. A reference check fails when |run - published| > tolerance.
Too little evidence fails too: a check over fewer than `min_n` samples (gates.yaml `defaults.min_n`, default 30,
per task `tasks.<task>.min_n`) fails as "insufficient evidence", since one flipped sample would decide it. Every
per-sample check prints its power: the CI half-width, the smallest regression the data can tell from noise.
A gate on an incomplete run (shards that never finished, status not complete) fails with that reason.
Exit codes: 0 all pass, 1 a gate failed, 2 bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tarsier_eval.errors import ConfigError, UsageError
from tarsier_eval.report.comparable import against_paper, between_runs
from tarsier_eval.report.reference import Reference
from tarsier_eval.report.runs import Run
from tarsier_eval.report.stats import N_BOOT, mean_scale, paired_bootstrap_ci


@dataclass
class GateConfig:
    tolerance: float = 1.0
    confidence: float = 0.95
    n_boot: int = N_BOOT
    seed: int = 0
    min_n: int = 30
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference_tolerance: float = 1.0
    reference_tasks: dict[str, float] = field(default_factory=dict)

    def task_tolerance(self, task: str) -> float:
        return float(self.tasks.get(task, {}).get("tolerance", self.tolerance))

    def task_min_n(self, task: str) -> int:
        return int(self.tasks.get(task, {}).get("min_n", self.min_n))


def load_config(path: Path | None) -> GateConfig:
    if path is None:
        return GateConfig()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read gate config {path}: {e}") from e
    d, ref = raw.get("defaults", {}) or {}, raw.get("reference", {}) or {}
    try:
        return GateConfig(
            tolerance=float(d.get("tolerance", 1.0)),
            confidence=float(d.get("confidence", 0.95)),
            n_boot=int(d.get("n_boot", N_BOOT)),
            seed=int(d.get("seed", 0)),
            min_n=int(d.get("min_n", 30)),
            tasks={k: dict(v or {}) for k, v in (raw.get("tasks") or {}).items()},
            reference_tolerance=float(ref.get("tolerance", 1.0)),
            reference_tasks={k: float(v) for k, v in (ref.get("tasks") or {}).items()},
        )
    except (TypeError, ValueError, AttributeError) as e:
        raise ConfigError(f"gate config {path}: {e}") from e


@dataclass
class Check:
    task: str
    subset: str
    metric: str
    baseline: float | None
    candidate: float | None
    tolerance: float
    ci: tuple[float, float] | None = None
    n_paired: int = 0
    n: int | None = None
    passed: bool = True
    reason: str = ""

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline


def _scored(run: Run, task: str, subset: str) -> dict[str, float]:
    """sample id -> score of the run's counted samples of `task` in `subset`."""
    return {s.sample_id: float(s.score) for s in run.task_samples(task)
            if isinstance(s.score, (int, float)) and subset in ("overall", s.subset)}  # fmt: skip


def _paired_scores(base: Run, cand: Run, task: str, subset: str) -> tuple[list[float], list[float]]:
    a, b = _scored(base, task, subset), _scored(cand, task, subset)
    ids = sorted(a.keys() & b.keys())
    return [a[i] for i in ids], [b[i] for i in ids]


def _entry_n(run: Run, task: str, subset: str) -> int | None:
    entry = run.scores.get(task)
    if entry is None:
        return None
    return entry.n_scored if subset == "overall" else entry.subset_n.get(subset)


def _incomplete(run: Run) -> str | None:
    return None if run.complete else "; ".join(run.flags) or f"run {run.run_id} is not complete"


def _check_pair(base: Run, cand: Run, task: str, subset: str, metric: str, cfg: GateConfig) -> Check:
    tol = cfg.task_tolerance(task)
    c = Check(task, subset, metric, base.value(task, subset, metric), cand.value(task, subset, metric), tol)
    if c.baseline is None:
        c.reason = "no baseline value"
        return c
    if c.candidate is None:
        c.passed, c.reason = False, "missing in candidate"
        return c
    b, k = _paired_scores(base, cand, task, subset)
    c.n = min(x for x in (_entry_n(base, task, subset), _entry_n(cand, task, subset), len(b) or None) if x is not None)
    if c.n < cfg.task_min_n(task):
        c.passed = False
        c.reason = f"insufficient evidence: n = {c.n} < min_n {cfg.task_min_n(task)} (one flipped sample would decide)"
        return c
    scale_b = mean_scale(b, c.baseline) if b else None
    scale_k = mean_scale(k, c.candidate) if k else None
    if scale_b is not None and scale_b == scale_k and len(b) == len(_scored(base, task, subset)):
        _, lo, hi = paired_bootstrap_ci(
            b, k, scale=scale_b, confidence=cfg.confidence, seed=cfg.seed, n_boot=cfg.n_boot
        )
        c.ci, c.n_paired = (lo, hi), len(b)
    regressed = c.delta < -tol
    significant = c.ci is None or c.ci[1] < 0
    c.passed = not (regressed and significant)
    if regressed and not significant:
        c.reason = "regression within noise (CI includes 0)"
    elif regressed:
        c.reason = "significant regression" if c.ci else "regression beyond tolerance (no per-sample CI)"
    elif c.ci is None:
        c.reason = "no per-sample CI; tolerance only"
    return c


def _refuse_incomplete(*runs: Run) -> list[Check]:
    """A failed check per incomplete run: its numbers cover only part of the samples."""
    return [Check("*", "*", "run status", None, None, 0.0, passed=False, reason=f"{r.run_id}: {why}")
            for r in runs if (why := _incomplete(r))]  # fmt: skip


def _protocol_checks(gaps: list[str], allow: bool) -> list[Check]:
    """A failed check per task whose two sides were scored under different protocols (passed, noted, with
    `allow`): such numbers do not measure the same thing (docs/protocols.md)."""
    reason = "protocol mismatch" + (" (allowed by --allow-protocol-mismatch)" if allow else "")
    return [Check(g.split(" ", 1)[0], "*", "protocol", None, None, 0.0, passed=allow, reason=f"{reason}: {g}")
            for g in gaps]  # fmt: skip


def gate_runs(base: Run, cand: Run, cfg: GateConfig, allow_protocol_mismatch: bool = False) -> list[Check]:
    """One check per (task, subset, metric): the headline in "overall" unless gates.yaml lists others."""
    if not set(base.scores) & set(cand.scores):
        raise UsageError(f"runs {base.run_id} and {cand.run_id} share no task")
    checks = _refuse_incomplete(base, cand)
    shared = sorted(set(base.scores) & set(cand.scores))
    gaps = [g for t in shared if (g := between_runs(base, cand, t))]
    checks += _protocol_checks(gaps, allow_protocol_mismatch)
    for task in sorted(base.scores):
        tcfg = cfg.tasks.get(task, {})
        metrics = tcfg.get("metrics") or [base.scores[task].headline]
        for subset in tcfg.get("subsets") or ["overall"]:
            for metric in metrics:
                checks.append(_check_pair(base, cand, task, subset, metric, cfg))
    return checks


def gate_reference(
    cand: Run, ref: Reference, model: str, cfg: GateConfig, allow_protocol_mismatch: bool = False
) -> list[Check]:
    """Every published number of `model` (e.g. tarsier2-7b) that the run has, within the reference tolerance."""
    checks = _refuse_incomplete(cand)
    tasks = sorted({p.task for p in ref.published(model) if p.task in cand.scores})
    checks += _protocol_checks([g for t in tasks if (g := against_paper(cand, t))], allow_protocol_mismatch)
    for pub in ref.published(model):
        if pub.task not in cand.scores:
            continue
        got = cand.value(pub.task, pub.subset, pub.metric)
        got = None if got is None else got * pub.scale
        tol = cfg.reference_tasks.get(pub.task, cfg.reference_tolerance)
        c = Check(pub.task, pub.subset, pub.metric, pub.value, got, tol)
        if got is None:
            c.passed, c.reason = False, "metric missing in run"
        else:
            c.passed = abs(got - pub.value) <= tol
            c.reason = "" if c.passed else "differs from the published number beyond tolerance"
        checks.append(c)
    if not [c for c in checks if c.subset != "*"]:
        raise UsageError(f"run {cand.run_id} has no task with a published number for {model!r}")
    return checks


def to_markdown(checks: list[Check], title: str, base_label: str) -> str:
    failed = [c for c in checks if not c.passed]
    head = f"## {'❌ FAIL' if failed else '✅ PASS'}: {title}"

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    lines = [
        head,
        "",
        f"{len(checks)} checks, {len(failed)} failed.",
        "",
        f"| task | subset | metric | {base_label} | candidate | Δ | 95% CI | n paired | detectable | tol | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        ci = f"[{c.ci[0]:+.2f}, {c.ci[1]:+.2f}]" if c.ci else "-"
        delta = "-" if c.delta is None else f"{c.delta:+.2f}"
        power = f"±{(c.ci[1] - c.ci[0]) / 2:.2f}" if c.ci else "-"
        res = ("pass" if c.passed else "**FAIL**") + (f" ({c.reason})" if c.reason else "")
        lines.append(
            f"| {c.task} | {c.subset} | {c.metric} | {f(c.baseline)} | {f(c.candidate)} | {delta} | {ci} | "
            f"{c.n_paired or '-'} | {power} | {c.tolerance:g} | {res} |"
        )
    lines += ["", "detectable: half-width of the 95% CI of the difference; a smaller regression cannot be told from "
              "noise with this many samples (min_n guards against deciding on a handful)."]  # fmt: skip
    return "\n".join(lines) + "\n"
