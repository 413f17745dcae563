"""The results index: one SQLite file under the results root with every metric of every finished run."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from tarsier_eval.report.runs import Run, load_run
from tarsier_eval.report.stats import bootstrap_ci, mean_scale

INDEX_NAME = "index.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, created TEXT, model TEXT, fingerprint TEXT, status TEXT, path TEXT);
CREATE TABLE IF NOT EXISTS results (
  run_id TEXT, model TEXT, fingerprint TEXT, task TEXT, subset TEXT, metric TEXT, value REAL, n INTEGER,
  ci_low REAL, ci_high REAL, PRIMARY KEY (run_id, task, subset, metric));
"""


def index_path(results_root: Path) -> Path:
    return results_root / INDEX_NAME


def _connect(results_root: Path) -> sqlite3.Connection:
    results_root.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(index_path(results_root))
    con.executescript(SCHEMA)
    return con


def run_rows(run: Run, seed: int = 0) -> list[tuple[Any, ...]]:
    """Index rows of a run: every (task, subset, metric) value; a 95% bootstrap CI where it is a per-sample mean."""
    rows = []
    for task, ts in run.scores.items():
        by_subset: dict[str, list[float]] = {}
        for s in run.task_samples(task):
            if isinstance(s.score, (int, float)):
                by_subset.setdefault(s.subset or "", []).append(float(s.score))
                by_subset.setdefault("overall", []).append(float(s.score))
        for subset, metrics in ts.metrics.items():
            n = ts.n if subset == "overall" else ts.subset_n.get(subset)
            for metric, value in metrics.items():
                lo = hi = None
                scores = by_subset.get(subset, [])
                k = mean_scale(scores, value) if isinstance(value, (int, float)) else None
                if k is not None:
                    lo, hi = bootstrap_ci(scores, scale=k, seed=seed)
                rows.append(
                    (
                        run.run_id,
                        run.model,
                        run.fingerprint,
                        task,
                        subset,
                        metric,
                        float(value) if isinstance(value, (int, float)) else None,
                        n,
                        lo,
                        hi,
                    )
                )
    return rows


def index_run(run_dir: Path, results_root: Path) -> None:
    """Add (or replace) one finished run in the index; the runner calls this after writing the run dir."""
    run = load_run(Path(run_dir))
    with closing(_connect(Path(results_root))) as con, con:
        con.execute("DELETE FROM results WHERE run_id = ?", (run.run_id,))
        con.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
            (
                run.run_id,
                run.manifest.created,
                run.model,
                run.fingerprint,
                run.manifest.status,
                str(Path(run_dir).resolve()),
            ),
        )
        con.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run_rows(run))


def reindex(results_root: Path) -> tuple[int, list[str]]:
    """Rebuild the index from every run dir under <results_root>/runs; returns (indexed, skipped with reasons)."""
    path = index_path(results_root)
    if path.exists():
        path.unlink()
    done, skipped = 0, []
    runs_dir = results_root / "runs"
    for run_dir in sorted(p for p in runs_dir.iterdir() if p.is_dir()) if runs_dir.is_dir() else []:
        if not (run_dir / "scores.json").exists():
            skipped.append(f"{run_dir.name}: no scores.json (unfinished)")
            continue
        try:
            index_run(run_dir, results_root)
            done += 1
        except Exception as e:  # one bad run dir must not stop the rebuild
            skipped.append(f"{run_dir.name}: {e}")
    _connect(results_root).close()
    return done, skipped


def list_runs(results_root: Path) -> list[dict[str, Any]]:
    with closing(_connect(results_root)) as con:
        con.row_factory = sqlite3.Row
        q = """SELECT r.*, group_concat(DISTINCT x.task) AS tasks FROM runs r LEFT JOIN results x USING (run_id)
               GROUP BY r.run_id ORDER BY r.created, r.run_id"""
        return [dict(row) for row in con.execute(q)]


def query(results_root: Path, run_id: str) -> list[dict[str, Any]]:
    with closing(_connect(results_root)) as con:
        con.row_factory = sqlite3.Row
        cur = con.execute("SELECT * FROM results WHERE run_id = ? ORDER BY task, subset, metric", (run_id,))
        return [dict(row) for row in cur]


def results(results_root: Path) -> list[dict[str, Any]]:
    """Every indexed number, one row per run x task x subset x metric, with its run's created/status/path."""
    with closing(_connect(results_root)) as con:
        con.row_factory = sqlite3.Row
        cur = con.execute("""SELECT x.run_id, r.created, x.model, x.fingerprint, r.status, x.task, x.subset, x.metric,
                                    x.value, x.n, x.ci_low, x.ci_high, r.path
                             FROM results x JOIN runs r USING (run_id)
                             ORDER BY r.created, x.run_id, x.task, x.subset, x.metric""")
        return [dict(row) for row in cur]
