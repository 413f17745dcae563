"""Reading run dirs (DESIGN contract: manifest.json, samples.jsonl, scores.json) and resolving run arguments.

A run argument names one run (a run id under <results-root>/runs/ or a run dir, e.g. a `tarsier-eval score
--output` dir) or, comma-separated, several runs of ONE model shown as one (`a,b,c`, optionally labelled
`LABEL=a,b,c`): their tasks side by side, as when each benchmark was scored into its own dir.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tarsier_eval.errors import UsageError
from tarsier_eval.rundir import COMPLETE, Manifest, SampleRow, ScoresFile, TaskEntry, read_samples


@dataclass
class Run:
    """A finished run: its manifest, per-task scores and (lazily read) per-sample rows."""

    run_id: str
    path: Path
    manifest: Manifest
    scores: dict[str, TaskEntry]
    _samples: list[SampleRow] | None = field(default=None, repr=False)
    parts: list[Run] = field(default_factory=list)  # the runs a merged run is made of (empty: a run dir)
    label: str | None = None  # the LABEL of a `LABEL=a,b` argument: the row name in tables

    @property
    def model(self) -> str:
        return self.manifest.model_name or self.run_id

    @property
    def fingerprint(self) -> str | None:
        return self.manifest.model_fingerprint

    @property
    def complete(self) -> bool:
        return self.manifest.status == COMPLETE

    @property
    def flags(self) -> list[str]:
        """Warnings that travel with this run's numbers (incomplete, changed settings, model load warnings)."""
        if self.parts:
            return sorted({f"{p.run_id}: {flag}" for p in self.parts for flag in p.flags})
        flags = list(self.manifest.flags)
        if self.manifest.status != COMPLETE and not any(f.startswith("incomplete") for f in flags):
            flags.insert(0, f"incomplete: status {self.manifest.status}")
        return flags

    def value(self, task: str, subset: str, metric: str) -> float | None:
        entry = self.scores.get(task)
        return entry.value(subset, metric) if entry else None

    @property
    def samples(self) -> list[SampleRow]:
        if self._samples is None:
            self._samples = (
                [s for part in self.parts for s in part.samples]
                if self.parts
                else read_samples(self.path / "samples.jsonl")
            )
        return self._samples

    def task_samples(self, task: str) -> list[SampleRow]:
        return [s for s in self.samples if s.task == task]


def load_run(path: Path) -> Run:
    """Read a run dir; UsageError (exit 2) when it is not one."""
    manifest = Manifest.read(path)
    scores = ScoresFile.read(path / "scores.json")
    return Run(manifest.run_id or path.name, path, manifest, scores.tasks)


def merge_runs(runs: list[Run], label: str | None = None) -> Run:
    """Several runs of one model as one run: the union of their tasks.

    UsageError when two runs hold the same task or name different models (name or fingerprint); runs naming no
    model (score-only dirs) join any. The merged run id is `label`, else the run ids joined by "+"; its model is
    the one the runs name, if any.
    """
    if len(runs) == 1 and label is None:
        return runs[0]
    scores: dict[str, TaskEntry] = {}
    owner: dict[str, str] = {}
    for run in runs:
        for task, ts in run.scores.items():
            if task in scores:
                raise UsageError(f"task {task} is in both {owner[task]} and {run.run_id}: give them separately")
            scores[task], owner[task] = ts, run.run_id
    models = {
        (m.get("name"), m.get("fingerprint")): m
        for m in (r.manifest.model for r in runs)
        if isinstance(m, dict) and (m.get("name") or m.get("fingerprint"))
    }
    if len({name for name, _ in models if name}) > 1 or len({fp for _, fp in models if fp}) > 1:
        found = ", ".join(f"{r.run_id}: {r.model} ({r.fingerprint or 'no fingerprint'})" for r in runs)
        raise UsageError(f"runs of different models cannot share a row: {found}")
    model = max(models.values(), key=lambda m: bool(m.get("fingerprint")), default=None)
    run_id = label or "+".join(r.run_id for r in runs)
    statuses = {r.manifest.status for r in runs}
    manifest = Manifest(
        run_id=run_id, created=max((r.manifest.created for r in runs), default=""),
        command=[], model=model, status=statuses.pop() if len(statuses) == 1 else "mixed",
        config={"merged_from": [str(r.path) for r in runs]},
    )  # fmt: skip
    return Run(run_id, runs[0].path, manifest, scores, parts=list(runs), label=label)


def resolve_runs(arg: str, results_root: Path) -> Run:
    """`RUN`, `RUN,RUN,...` or `LABEL=RUN,RUN,...` (see the module docstring) as one Run."""
    label = None
    head, sep, rest = arg.partition("=")
    if sep and not Path(arg).exists() and "/" not in head:
        label, arg = head.strip(), rest
        if not label:
            raise UsageError(f"empty label in run argument {head + sep + rest!r}")
    names = [n.strip() for n in arg.split(",") if n.strip()]
    if not names:
        raise UsageError(f"no run named in {arg!r}")
    return merge_runs([resolve_run(n, results_root) for n in names], label)


def resolve_run(arg: str, results_root: Path) -> Run:
    """A run argument is a run dir path or a run id under <results_root>/runs/."""
    path = Path(arg)
    if not (path / "manifest.json").exists():
        path = results_root / "runs" / arg
    if not path.is_dir():
        raise UsageError(f"no such run: {arg} (looked for a run dir and for {results_root / 'runs' / arg})")
    return load_run(path)
