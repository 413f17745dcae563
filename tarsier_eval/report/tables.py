"""Paper-layout tables: published rows beside our runs, marks as each paper table sets them, ready to render.

A `View` is one table: rows in print order, panels (the printed tabulars: one, a table's sub-tables, or the parts of
a split), bold/underline marks and notes. Marks follow each table's `marks` rule in tarsier2.yaml (Table 1's caption:
bold = best of comparable scale, underline = best overall; Table 7: bold only in the single-metric sub-tables). The
"Previous SOTA" lines, Human rows and grey (subset-tested) values never compete; ties mark every tied value; every
metric here is higher-is-better. Renderers: tarsier_eval.report.render (md, html, csv) and .latex.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tarsier_eval.errors import UsageError
from tarsier_eval.report.comparable import against_paper
from tarsier_eval.report.reference import Benchmark, Cell, Column, MarkRule, Reference, Row, Table
from tarsier_eval.report.runs import Run

LAYOUTS = ("dream1k", "short-qa", "long-qa", "hallucination", "etbench-cap", "etbench-gnd", "embodied", "summary")
SUMMARY_MARKS = {"bold": MarkRule(among="small"), "underline": MarkRule()}


@dataclass
class Panel:
    """One printed tabular: its columns and the rows it shows (indices into View.rows)."""

    columns: list[Column]
    rows: list[int]


@dataclass
class View:
    """A table ready to render."""

    layout: str
    number: int | None  # the paper's table number; None for the summary (Figure 1)
    caption: str
    rows: list[Row]
    panels: list[Panel]
    group_labels: dict[str, str]
    bold: set[tuple[int, str]]
    underline: set[tuple[int, str]]
    notes: list[str]
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)
    side_by_side: bool = False  # panels are sub-tables printed next to each other (else stacked)
    stub: tuple[str, ...] = ("Model",)  # the model column's text in each header row

    @property
    def label(self) -> str:
        return f"tab:{self.layout}"

    @property
    def title(self) -> str:
        """The caption with its number, for formats that do not number floats themselves (md, html)."""
        return f"Table {self.number}: {self.caption}" if self.number else self.caption

    @property
    def columns(self) -> list[Column]:
        return list(dict.fromkeys(c for p in self.panels for c in p.columns))

    def cited(self) -> list[Benchmark]:
        """The benchmarks whose citation a header prints, in column order."""
        return list(dict.fromkeys(self.benchmarks[c.cite] for c in self.columns if c.cite))


def _decimals(table: Table, part: str) -> int:
    for row in table.rows:
        c = row.values.get(part)
        if c is not None and c.value is not None:
            n = c.number
            return len(n.split(".")[1]) if "." in n else 0
    return 1


def run_label(run: Run, ref: Reference) -> str:
    """A run's row name: its LABEL if given, else its model (with the run id where it would read as the paper's)."""
    if run.label:
        return run.label
    return run.model if run.model != ref.ours else f"{run.model} ({run.run_id})"


def run_row(run: Run, table: Table, ref: Reference, group: str) -> Row:
    """Our run as a table row: each part looked up through mapping.yaml, "-" where the run lacks it."""
    values = {}
    for part in table.parts:
        m = ref.mapping[table.key][part]
        v = run.value(m["task"], m["subset"], m["metric"])
        if v is None:
            values[part] = Cell("-", None)
        else:
            v *= float(m.get("scale", 1.0))
            values[part] = Cell(f"{v:.{_decimals(table, part)}f}", v)
    return Row(model=run_label(run, ref), group=group, values=values, kind="run")


WARNING_MARKS = "‡§"


def warning_notes(runs: list[Run], rows: list[Row], tasks: set[str], with_reference: bool) -> list[str]:
    """Marks on run rows whose numbers carry a warning (‡: the run is incomplete, changed settings, loaded a model
    not strictly...; §: a task scored under another protocol than the published numbers), and their notes."""
    notes = []
    for run, row in zip(runs, rows, strict=True):
        for flag in run.flags:
            notes.append(f"‡ {row.label}: {flag}")
        gaps = [g for t in sorted(tasks) if t in run.scores and (g := against_paper(run, t))] if with_reference else []
        notes += [f"§ {row.label}: {gap}; the numbers do not compare" for gap in gaps]
        row.mark += ("‡" if run.flags else "") + ("§" if gaps else "")
    return notes


def competes(row: Row, part: str) -> bool:
    cell = row.values.get(part)
    return (
        cell is not None
        and cell.value is not None
        and row.kind != "previous_sota"
        and row.group != "human"
        and not row.grey
        and not cell.grey
        and not set(row.mark) & set(WARNING_MARKS)
    )


def best_marks(rows: list[Row], parts: list[str], rules: dict[str, MarkRule]) -> dict[str, set[tuple[int, str]]]:
    """Per mark ("bold", "underline"): the (row, part) cells holding the best competing value of the rule's pool."""
    out: dict[str, set[tuple[int, str]]] = {"bold": set(), "underline": set()}
    for mark, rule in rules.items():
        pool = [i for i, r in enumerate(rows) if rule.among is None or r.group == rule.among]
        for part in rule.parts or parts:
            vals = {i: rows[i].values[part].value for i in pool if competes(rows[i], part)}
            if vals:
                top = max(vals.values())
                out[mark].update((i, part) for i, v in vals.items() if v == top)
    return out


def _mean_cell(cells: list[Cell], decimals: int) -> Cell:
    """The mean of the cells' values, rounded half up in decimal (the mean of 84.6 and 63.3 prints 74.0, not the
    73.9 of binary floating point); grey when a value is."""
    if any(c.value is None for c in cells):
        return Cell("-", None)
    mean = sum(Decimal(str(c.value)) for c in cells) / len(cells)
    text = str(mean.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))
    return Cell(text, float(mean), grey=any(c.grey for c in cells))


def _sota_source(ref: Reference, entry: dict[str, Any]) -> tuple[Row | None, str]:
    """The row Figure 1's previous-SOTA value comes from, and the model whose value it is (see tarsier2.yaml)."""
    table = ref.tables[entry["table"]]
    sota = next((r for r in table.rows if r.kind == "previous_sota"), None)
    if sota is None:
        return table.row(entry["sota"]), entry["sota"]
    names = {int(e["sota_ref"]): e["sota"] for e in ref.figure1}
    cite = int(sota.cite[entry["parts"][0]])
    if cite in names:
        return sota, names[cite]
    same = [
        r.model
        for r in table.rows
        if r.kind == "model" and r.group == "small" and all(r.values[p] == sota.values[p] for p in entry["parts"])
    ]
    return sota, same[0] if same else entry["sota"]


def _summary(
    ref: Reference, runs: list[Run], with_reference: bool, group: str
) -> tuple[list[Column], list[Row], list[str]]:
    """Figure 1 as a table: per benchmark the mean of its parts, for GPT-4o, the previous 7B SOTA, Tarsier2-7B, runs."""
    columns, notes = [], []
    rows = {
        "GPT-4o": Row("GPT-4o", "proprietary", {}),
        "sota": Row("Previous SOTA (7B)", "small", {}, kind="previous_sota"),
    }
    rows["ours"] = Row(ref.ours, "small", {})
    run_rows = [Row(run_label(run, ref), group, {}, kind="run") for run in runs]
    for entry in ref.figure1:
        bench, table, parts = entry["benchmark"], ref.tables[entry["table"]], entry["parts"]
        dec = max(_decimals(table, p) for p in parts)
        sota_row, name = _sota_source(ref, entry)
        columns.append(Column(bench, (name,), (bench,), cite=bench))
        if name != entry["sota"]:
            notes.append(
                f"{bench}: Figure 1's legend names {entry['sota']} [{entry['sota_ref']}]; the value shown is Table "
                f"{table.number}'s Previous SOTA, which the table attributes to {name}."
            )
        for row, source in (
            (rows["GPT-4o"], table.row("GPT-4o")),
            (rows["sota"], sota_row),
            (rows["ours"], table.row(ref.ours)),
        ):
            row.values[bench] = _mean_cell([source.values[p] for p in parts], dec) if source else Cell("-", None)
        for row, run in zip(run_rows, runs, strict=True):
            cells = run_row(run, table, ref, group).values
            row.values[bench] = _mean_cell([cells[p] for p in parts], dec)
    return columns, (list(rows.values()) if with_reference else []) + run_rows, notes


def _notes(rows: list[Row], shown: set[tuple[int, str]]) -> list[str]:
    cells = [rows[i].values[p] for i, p in shown]
    notes = []
    if any(c.grey for c in cells):
        notes.append("Grey: tested on a subset.")
    if any(rows[i].mark == "†" for i, _ in shown):
        notes.append("†: fine-tuned on E.T. Instruct 164K.")
    if any(c.star for c in cells):
        notes.append("*: the training set has been observed in the training data mixture.")
    return notes


def _panels(table: Table, rows: list[Row]) -> list[Panel]:
    if not table.subtables:
        return [Panel(list(table.columns), list(range(len(rows))))]
    panels = []
    for headers in table.subtables:
        cols = [c for c in table.columns if c.header in headers]
        parts = [p for c in cols for p in c.parts]
        shown = [i for i, r in enumerate(rows) if r.kind == "run" or any(r.values[p].value is not None for p in parts)]
        panels.append(Panel(cols, shown))
    return panels


def build_view(
    layout: str, ref: Reference, runs: list[Run], *, with_reference: bool, run_group: str | None = None
) -> View:
    """The table of `layout`: the paper's rows (with_reference) and one row per run, at the end of its group."""
    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    if layout == "summary":
        columns, rows, notes = _summary(ref, runs, with_reference, run_group or "small")
        tasks = {m["task"] for parts in ref.mapping.values() for m in parts.values()}
        notes += warning_notes(runs, [r for r in rows if r.kind == "run"], tasks, with_reference)
        table = Table("summary", 0, "", columns, rows, SUMMARY_MARKS, {"proprietary": "", "small": ""})
        caption = "Tarsier2-7B vs previous SOTA at 7B scale vs GPT-4o (Figure 1; means of sub-metrics)."
        number = None
    else:
        table, notes = ref.tables[layout], []
        group = run_group or table.run_group
        run_rows = [run_row(r, table, ref, group) for r in runs]
        notes += warning_notes(runs, run_rows, {ref.mapping[table.key][p]["task"] for p in table.parts}, with_reference)
        rows = (list(table.rows) if with_reference else []) + run_rows
        order = list(dict.fromkeys(r.group for r in rows))  # runs close their group, as the paper places Tarsier2-7B
        rows = [r for g in order for r in rows if r.group == g]
        caption, number = table.caption, table.number
    panels = _panels(table, rows)
    marks = best_marks(rows, table.parts, table.marks)
    shown = {(i, p) for panel in panels for i in panel.rows for c in panel.columns for p in c.parts}
    labels = {g: ref.group_label(table, g) for g in dict.fromkeys(r.group for r in rows)}
    return View(
        layout, number, caption, rows, panels, labels, marks["bold"], marks["underline"],
        _notes(rows, shown) + notes, ref.benchmarks, side_by_side=bool(table.subtables),
        stub=("Model", "Previous SOTA (7B):") if layout == "summary" else ("Model",),
    )  # fmt: skip


def split_view(view: View, parts: int) -> View:
    """The view with each panel's columns cut into `parts` stacked panels (at benchmark boundaries, sizes as even as
    they go): a wide table printed in `parts` blocks that each repeat the Model column."""
    if parts < 1:
        raise UsageError(f"--split takes a number of parts >= 1, got {parts}")
    panels = []
    for panel in view.panels:
        blocks: list[list[Column]] = []
        for col in panel.columns:  # a benchmark spanning several columns stays in one block
            if blocks and blocks[-1][-1].header == col.header:
                blocks[-1].append(col)
            else:
                blocks.append([col])
        n = min(parts, len(blocks))
        cut = [round(k * len(blocks) / n) for k in range(n + 1)]
        for a, b in itertools.pairwise(cut):
            panels.append(Panel([c for blk in blocks[a:b] for c in blk], panel.rows))
    return replace(view, panels=panels, side_by_side=view.side_by_side and len(panels) == len(view.panels))
