"""Whether numbers may stand side by side: the scoring protocol each run's task used, against the paper's or
another run's, and the warnings a run carries (incomplete, changed settings, model load warnings).

Tables flag what does not compare (a mark on the row and a note); gates refuse it unless told otherwise.
"""

from __future__ import annotations

from functools import cache

from tarsier_eval import protocols
from tarsier_eval.registry import all_tasks
from tarsier_eval.report.runs import Run


@cache
def paper_protocol(task: str) -> str | None:
    """The protocol (name@version) behind the paper's published numbers of `task`; None for an unknown task."""
    spec = all_tasks().get(task)
    return protocols.resolve(spec, None).key if spec is not None else None


def run_protocol(run: Run, task: str) -> str | None:
    """The protocol (name@version) the run scored `task` under; None when the run did not record one."""
    entry = run.scores.get(task)
    label = entry.protocol if entry is not None else None
    return label.rpartition("=")[2] if label else None


def protocol_gap(ours: str | None, theirs: str | None) -> str | None:
    """Why two protocols do not compare, or None when they do."""
    if ours == theirs:
        return None
    return f"scored under {ours or 'an unrecorded protocol'}, compared with {theirs or 'an unrecorded protocol'}"


def against_paper(run: Run, task: str) -> str | None:
    gap = protocol_gap(run_protocol(run, task), paper_protocol(task))
    return f"{task} {gap} (the paper's)" if gap else None


def between_runs(a: Run, b: Run, task: str) -> str | None:
    gap = protocol_gap(run_protocol(b, task), run_protocol(a, task))
    return f"{task} {gap} ({a.run_id})" if gap else None
