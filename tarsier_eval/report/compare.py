"""`tarsier-eval compare`: the samples of one task whose correctness flipped between two runs."""

from __future__ import annotations

from typing import Any

from tarsier_eval.report.comparable import between_runs
from tarsier_eval.report.page import correctness
from tarsier_eval.report.runs import Run


def flipped(a: Run, b: Run, task: str) -> list[dict[str, Any]]:
    """Samples present in both runs whose correctness (correct / incorrect / unscored) differs, by sample id."""
    sa = {s.sample_id: s for s in a.task_samples(task)}
    sb = {s.sample_id: s for s in b.task_samples(task)}
    out = []
    for sid in sorted(sa.keys() & sb.keys()):
        ca, cb = correctness(sa[sid]), correctness(sb[sid])
        if ca != cb:
            out.append(
                {
                    "sample_id": sid,
                    "subset": sa[sid].subset,
                    "a": ca,
                    "b": cb,
                    "response_a": sa[sid].response,
                    "response_b": sb[sid].response,
                    "parsed_a": sa[sid].parsed,
                    "parsed_b": sb[sid].parsed,
                }
            )
    return out


def to_markdown(a: Run, b: Run, task: str, rows: list[dict[str, Any]]) -> str:
    def cell(x: Any) -> str:
        return str(x if x is not None else "").replace("|", "\\|").replace("\n", " ")

    lost = sum(r["a"] == "correct" for r in rows)
    gap = between_runs(a, b, task)
    lines = [
        f"## {task}: {a.run_id} → {b.run_id}",
        "",
        *([f"**Warning**: {b.run_id}: {gap}: verdicts may flip because the scoring rules differ.", ""] if gap else []),
        f"{len(rows)} flipped: {lost} lost (correct in A), {len(rows) - lost} changed otherwise.",
        "",
        "| sample | subset | A | B | response A | response B |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {cell(r['sample_id'])} | {cell(r['subset'])} | {r['a']} | {r['b']} | {cell(r['response_a'])} | "
        f"{cell(r['response_b'])} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"
