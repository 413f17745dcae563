"""Charts (matplotlib, Agg backend): the Figure 1 comparison and a per-benchmark bar chart, as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from tarsier_eval.report.reference import Reference
from tarsier_eval.report.runs import Run
from tarsier_eval.report.tables import build_view


def _save(fig, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    for p in paths:
        fig.savefig(
            p,
            dpi=150 if p.suffix == ".png" else None,
            bbox_inches="tight",
            metadata={"Date": None} if p.suffix == ".svg" else None,
        )
    plt.close(fig)
    return paths


def figure1(ref: Reference, runs: list[Run], out_dir: Path) -> list[Path]:
    """Grouped bars per benchmark: GPT-4o, the previous 7B SOTA, published Tarsier2-7B and each run.

    MMBench-Video (0-3) is drawn x100/3 so every benchmark shares one 0-100 axis; its label says so.
    """
    view = build_view("summary", ref, runs, with_reference=True)
    benches = [c.header for c in view.columns]
    scale = {b: (100 / 3 if b == "MMBench-Video" else 1.0) for b in benches}
    fig, ax = plt.subplots(figsize=(max(10, 1.1 * len(benches)), 4.5))
    width = 0.8 / len(view.rows)
    x = np.arange(len(benches))
    for k, row in enumerate(view.rows):
        vals = [(row.values[b].value or 0.0) * scale[b] for b in benches]
        ax.bar(x + (k - (len(view.rows) - 1) / 2) * width, vals, width, label=row.model)
    ax.set_xticks(x, [b + (" (x100/3)" if scale[b] != 1 else "") for b in benches], rotation=35, ha="right")
    ax.set_ylabel("score")
    ax.set_title("Tarsier2 vs previous SOTA (7B) vs GPT-4o")
    ax.legend(fontsize=8)
    return _save(fig, out_dir, "figure1")


def benchmark_bars(ref: Reference, runs: list[Run], out_dir: Path) -> list[Path]:
    """One horizontal bar chart per runs' headline metrics (task headline, overall), one bar per run."""
    tasks = sorted({t for r in runs for t in r.scores})
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.45 * len(tasks) * max(1, len(runs)))))
    height = 0.8 / max(1, len(runs))
    y = np.arange(len(tasks))
    for k, run in enumerate(runs):
        vals = [(run.scores[t].headline_value if t in run.scores else None) or 0.0 for t in tasks]
        ax.barh(y + k * height, vals, height, label=f"{run.model} ({run.run_id})")
    ax.set_yticks(y + height * (len(runs) - 1) / 2, tasks)
    ax.set_xlabel("headline metric")
    ax.legend(fontsize=8)
    return _save(fig, out_dir, "benchmarks")
