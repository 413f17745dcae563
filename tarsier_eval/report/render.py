"""Render a table View as Markdown, HTML or CSV (LaTeX: tarsier_eval.report.latex), in the paper's structure.

Header rows: the benchmark (with its citation where the paper prints one), then each `sub` line; adjacent columns
under one benchmark share its header cell (colspan in HTML, \\multicolumn in LaTeX; Markdown repeats it). CSV is
long-form data: one line per printed number, the value a plain number and its flags in their own columns.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tarsier_eval.errors import UsageError
from tarsier_eval.report.reference import Column, Row
from tarsier_eval.report.tables import Panel, View

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("md", "latex", "html", "csv")
GREY = "#BFBFBF"  # the paper's grey


@dataclass
class HeaderCell:
    text: str
    cite: str  # benchmark name, "" for none
    span: int
    start: int  # index of its first column


def header_rows(columns: list[Column]) -> list[list[HeaderCell]]:
    """Header rows over `columns`: row 0 the benchmarks, row k the k-th sub line. Adjacent columns merge into one cell
    at a row when they agree on every row up to it (so EventHallusion spans its two columns, its two "Entire/..."
    lines stay apart)."""
    depth = 1 + max((len(c.sub) for c in columns), default=0)
    rows = []
    for level in range(depth):
        cells: list[HeaderCell] = []
        last = None
        for i, c in enumerate(columns):
            lines = (c.header, *c.sub)
            text = lines[level] if level < len(lines) else ""
            path = (c.cite, *lines[: level + 1])
            if cells and text and path == last:
                cells[-1].span += 1
            else:
                cells.append(HeaderCell(text, c.cite if level == 0 else "", 1, i))
            last = path
        rows.append(cells)
    return rows


def stub(view: View, level: int) -> str:
    """The model column's text in header row `level`."""
    return view.stub[level] if level < len(view.stub) else ""


def groups(view: View, panel: Panel) -> Iterator[tuple[int, str | None]]:
    """(row index, group label or None): the label where a new group starts ("" = a rule without caption)."""
    last = None
    for i in panel.rows:
        row = view.rows[i]
        if row.group != last:
            last = row.group
            yield i, view.group_labels.get(row.group, "")
        else:
            yield i, None


def cite_number(view: View, bench: str) -> str:
    ref = view.benchmarks[bench].ref
    return f"[{ref}]" if ref is not None else ""


def references_note(view: View) -> str:
    """One line naming the cited benchmarks' papers, so "[57]" can be looked up."""
    items = [
        f"{cite_number(view, b.name)} {b.name}".lstrip() + (f", arXiv:{b.arxiv}" if b.arxiv else "")
        for b in view.cited()
    ]
    return "Benchmarks: " + "; ".join(items) + "." if items else ""


def _split_sub(head: str) -> tuple[str, str]:
    base, _, low = head.partition("_")
    return base, low


# ---------------------------------------------------------------------------------------------------- markdown


@dataclass(frozen=True)
class CellMarkup:
    """How one format writes a number's marks: `underline`/`bold`/`grey` wrap it (a `{}` template), `star` follows
    it, `escape` makes text safe."""

    underline: str
    bold: str
    star: str
    grey: str
    escape: Callable[[str], str] = str


def format_cell(view: View, i: int, col: Column, markup: CellMarkup) -> str:
    """The numbers of row i under one column ("a/b/c" for a multi-part column), marked as the view says, and the
    Previous SOTA citation where the row carries one."""
    row, pieces = view.rows[i], []
    for part in col.parts:
        c = row.values[part]
        text = markup.escape(c.number if c.value is not None else "-")
        text = markup.underline.format(text) if (i, part) in view.underline else text
        text = markup.bold.format(text) if (i, part) in view.bold else text
        text += markup.star if c.star else ""
        text += f" {markup.escape(c.note)}" if c.note else ""
        pieces.append(markup.grey.format(text) if c.grey else text)
    return "/".join(pieces) + markup.escape(sota_cite(row, col))


MARKDOWN = CellMarkup("<u>{}</u>", "**{}**", "\\*", f'<span style="color:{GREY}">{{}}</span>')
HTML = CellMarkup("<u>{}</u>", "<b>{}</b>", "*", f'<span class="grey" style="color:{GREY}">{{}}</span>', html.escape)


def sota_cite(row: Row, col: Column) -> str:
    """A Previous SOTA value's citation, " [20]", printed after its cell."""
    return f" [{row.cite[col.parts[0]]}]" if col.parts[0] in row.cite else ""


def _md_label(row: Row) -> str:
    return row.label + (f" [{row.ref}]" if row.ref else "") + row.mark


def _md_panel(view: View, panel: Panel) -> list[str]:
    heads = header_rows(panel.columns)
    spread = [[c for c in hr for _ in range(c.span)] for hr in heads]  # Markdown has no colspan: repeat
    top = [f"{c.text} {cite_number(view, c.cite)}".strip() if c.cite else c.text for c in spread[0]]
    lines = [f"| {stub(view, 0)} | " + " | ".join(top) + " |", "|---|" + "---|" * len(top)]
    lines += [f"| {stub(view, k)} | " + " | ".join(c.text for c in hr) + " |" for k, hr in enumerate(spread) if k]
    for i, label in groups(view, panel):
        if label:
            lines.append(f"| *{label}* |" + " |" * len(top))
        lines.append(
            f"| {_md_label(view.rows[i])} | "
            + " | ".join(format_cell(view, i, c, MARKDOWN) for c in panel.columns)
            + " |"
        )
    return lines


def to_markdown(view: View) -> str:
    lines = [f"**{view.title}**"]
    for panel in view.panels:
        lines += ["", *_md_panel(view, panel)]
    notes = [*view.notes, references_note(view)]
    lines += [""] + [f"{n}  " for n in notes if n]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------------- html


def _html_head(view: View, cell: HeaderCell) -> str:
    base, low = _split_sub(cell.text)
    text = html.escape(base) + (f"<sub>{html.escape(low)}</sub>" if low else "")
    if cell.cite:
        b = view.benchmarks[cell.cite]
        title = html.escape(f"{b.name}" + (f", arXiv:{b.arxiv}" if b.arxiv else ""), quote=True)
        text += f' <cite title="{title}">{cite_number(view, cell.cite)}</cite>'
    span = f' colspan="{cell.span}"' if cell.span > 1 else ""
    return f"<th{span}>{text}</th>"


def _html_panel(view: View, panel: Panel, caption: str) -> list[str]:
    heads = header_rows(panel.columns)
    width = len(panel.columns) + 1
    anchor = f' id="{view.label.replace(":", "-")}"' if caption else ""  # sub-tables: the figure holds the id
    out = [f'<table class="paper-table"{anchor}>'] + ([f"<caption>{html.escape(caption)}</caption>"] if caption else [])
    out.append("<thead>")
    for k, hr in enumerate(heads):
        out.append(f"<tr><th>{html.escape(stub(view, k))}</th>" + "".join(_html_head(view, c) for c in hr) + "</tr>")
    out += ["</thead>", "<tbody>"]
    for k, (i, label) in enumerate(groups(view, panel)):
        row = view.rows[i]
        if label:
            out.append(f'<tr class="group"><td colspan="{width}"><i>{html.escape(label)}</i></td></tr>')
        cls = " ".join(c for c in ("grey" if row.grey else "", row.kind) if c)
        rule = ' style="border-top:1px solid #000"' if label == "" and k else ""  # a new group without a caption
        name = html.escape(row.label) + (f" [{html.escape(row.ref)}]" if row.ref else "") + html.escape(row.mark)
        cells = "".join(f"<td>{format_cell(view, i, c, HTML)}</td>" for c in panel.columns)
        out.append(f'<tr class="{cls}"{rule}><td>{name}</td>{cells}</tr>')
    return [*out, "</tbody>", "</table>"]


def to_html(view: View) -> str:
    notes = [f'<p class="note">{html.escape(n)}</p>' for n in [*view.notes, references_note(view)] if n]
    if len(view.panels) == 1:
        return "\n".join(_html_panel(view, view.panels[0], view.title) + notes) + "\n"
    anchor = view.label.replace(":", "-")
    out = [f'<figure class="paper-table" id="{anchor}">', f"<figcaption>{html.escape(view.title)}</figcaption>"]
    for panel in view.panels:
        out += _html_panel(view, panel, "")
    return "\n".join(out + notes + ["</figure>"]) + "\n"


# ---------------------------------------------------------------------------------------------------- csv

CSV_FIELDS = (
    "table", "model", "printed_as", "ref", "mark", "group", "kind", "header", "subheader", "part",
    "value", "seen_in_training", "frames", "grey", "cite", "bold", "underline",
)  # fmt: skip


def csv_rows(view: View) -> list[tuple[object, ...]]:
    """One tuple of CSV_FIELDS per printed number (a sub-table's absent rows print nothing): `value` a plain number
    ("" for "-"), `seen_in_training` the "*" flag, `frames` the "(128f)" note, `cite` a Previous SOTA value's
    citation number."""
    rows: list[tuple[object, ...]] = []
    for panel in view.panels:
        for i in panel.rows:
            row = view.rows[i]
            for col in panel.columns:
                cite = row.cite.get(col.parts[0], "")
                for part in col.parts:
                    c = row.values[part]
                    rows.append((
                        view.layout, row.model, row.label, row.ref, row.mark, row.group, row.kind, col.header,
                        " / ".join(col.sub), part, c.number if c.value is not None else "", int(c.star),
                        c.frames or "", int(c.grey), cite, int((i, part) in view.bold), int((i, part) in view.underline),
                    ))  # fmt: skip
    return rows


def table_frame(view: View) -> pd.DataFrame:
    """The table as a long-form DataFrame, one row per printed number (the CSV's columns)."""
    import pandas as pd

    return pd.DataFrame(csv_rows(view), columns=list(CSV_FIELDS))


def to_csv(view: View) -> str:
    """The long-form table as CSV text (see `csv_rows`)."""
    return table_frame(view).to_csv(index=False, lineterminator="\n")


def render(view: View, fmt: str) -> str:
    """`view` in `fmt`, one of FORMATS (LaTeX with its defaults; options: tarsier_eval.report.latex.to_latex)."""
    from tarsier_eval.report.latex import to_latex

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return {"md": to_markdown, "html": to_html, "csv": to_csv, "latex": to_latex}[fmt](view)
