"""A table View as a LaTeX float (booktabs), plus the BibTeX entries of the benchmarks its headers cite.

The float numbers itself: `\\caption{}` holds the paper's caption without "Table N:", `\\label{tab:<layout>}` names it.
Headers: `\\multicolumn` over a benchmark's columns with a `\\cmidrule` below, one row per header line, benchmark
citations as `\\cite{key}` (keys of results/reference/benchmarks.bib). Sub-tables sit side by side; the blocks of
`--split` are stacked. `landscape` puts the table on its own rotated page (sidewaystable), `resize` scales a tabular
wider than the line down to the line width (never up).
"""

from __future__ import annotations

from tarsier_eval.report.reference import Column, Reference, Row
from tarsier_eval.report.render import GREY, CellMarkup, HeaderCell, format_cell, groups, header_rows, stub
from tarsier_eval.report.tables import Panel, View

_ESCAPES = (
    ("\\", r"\textbackslash{}"),
    ("&", r"\&"),
    ("%", r"\%"),
    ("$", r"\$"),
    ("#", r"\#"),
    ("_", r"\_"),
    ("{", r"\{"),
    ("}", r"\}"),
    ("~", r"\textasciitilde{}"),
    ("^", r"\^{}"),
)
_SYMBOLS = (("<", r"$<$"), (">", r"$>$"), ("≤", r"$\leq$"), ("†", r"$^\dagger$"))


# --resize: a tabular wider than the line is scaled down to it (never up); the box is declared once per document
BOX = r"\ifdefined\tarsiertablebox\else\newsavebox{\tarsiertablebox}\fi"
SHRINK = (
    r"\ifdim\wd\tarsiertablebox>\linewidth\resizebox{\linewidth}{!}{\usebox{\tarsiertablebox}}"
    r"\else\usebox{\tarsiertablebox}\fi"
)


def latex_escape(s: str) -> str:
    for a, b in _ESCAPES + _SYMBOLS:
        s = s.replace(a, b)
    return s


def packages(*, landscape: bool = False, resize: bool = False) -> list[str]:
    return ["booktabs", "xcolor"] + (["graphicx"] if resize else []) + (["rotating"] if landscape else [])


def _head(view: View, cell: HeaderCell) -> str:
    base, _, low = cell.text.partition("_")
    text = latex_escape(base) + (rf"$_{{\mathrm{{{latex_escape(low)}}}}}$" if low else "")
    if cell.cite:
        text += rf"~\cite{{{view.benchmarks[cell.cite].key}}}"
    return rf"\multicolumn{{{cell.span}}}{{c}}{{{text}}}" if cell.span > 1 else text


LATEX = CellMarkup(r"\underline{{{}}}", r"\textbf{{{}}}", "$^*$", r"\textcolor{{tablegrey}}{{{}}}")


def _cell(view: View, i: int, col: Column) -> str:
    return format_cell(view, i, col, LATEX)


def _label(row: Row) -> str:
    return latex_escape(row.label) + (f" [{row.ref}]" if row.ref else "") + latex_escape(row.mark)


def _tabular(view: View, panel: Panel) -> list[str]:
    n = len(panel.columns) + 1
    align = "[t]" if view.side_by_side else ""
    lines = [rf"\begin{{tabular}}{align}{{l{'c' * (n - 1)}}}", r"\toprule"]
    for k, hr in enumerate(header_rows(panel.columns)):
        lines.append(latex_escape(stub(view, k)) + " & " + " & ".join(_head(view, c) for c in hr) + r" \\")
        rules = [rf"\cmidrule(lr){{{c.start + 2}-{c.start + c.span + 1}}}" for c in hr if c.span > 1]
        lines += [" ".join(rules)] if rules else []
    for i, label in groups(view, panel):
        if label is not None:
            lines.append(r"\midrule")
            if label:
                lines.append(rf"\multicolumn{{{n}}}{{l}}{{\textit{{{latex_escape(label)}}}}} \\")
        lines.append(_label(view.rows[i]) + " & " + " & ".join(_cell(view, i, c) for c in panel.columns) + r" \\")
    return [*lines, r"\bottomrule", r"\end{tabular}"]


def _shrunk(lines: list[str]) -> list[str]:
    """`lines` (one box of material) scaled down to the line width when wider."""
    return [r"\sbox{\tarsiertablebox}{%", *lines, "}%", SHRINK]


def _panels(view: View, resize: bool) -> list[str]:
    """Sub-tables side by side (one line, scaled down together with `resize`, else wrapping when too wide), split
    blocks stacked (each scaled down alone)."""
    if view.side_by_side:
        gap = r"\quad" if resize else r"\hfill"
        lines = [x for k, panel in enumerate(view.panels) for x in ([gap] if k else []) + _tabular(view, panel)]
        return _shrunk(lines) if resize else lines
    out: list[str] = []
    for k, panel in enumerate(view.panels):
        out += ([r"\par\medskip"] if k else []) + (_shrunk(_tabular(view, panel)) if resize else _tabular(view, panel))
    return out


def to_latex(
    view: View, *, standalone: bool = False, landscape: bool = False, resize: bool = False, bib_name: str = "benchmarks"
) -> str:
    """The table float; `standalone`: a compilable article around it, with \\bibliography{bib_name} when it cites."""
    env = "sidewaystable" if landscape else "table"
    body = [
        rf"% requires \usepackage{{{','.join(packages(landscape=landscape, resize=resize))}}}"
        + (f" and the BibTeX entries of {', '.join(b.key for b in view.cited())}" if view.cited() else ""),
        rf"\providecolor{{tablegrey}}{{HTML}}{{{GREY.lstrip('#')}}}",
        *([BOX] if resize else []),
        rf"\begin{{{env}}}" + ("" if landscape else "[t]"),
        r"\centering",
        r"\small",
        rf"\caption{{{latex_escape(view.caption)}}}",
        rf"\label{{{view.label}}}",
    ]
    body += _panels(view, resize)
    if view.notes:
        body.append(r"\par\smallskip{\footnotesize " + latex_escape(" ".join(view.notes)) + "}")
    body.append(rf"\end{{{env}}}")
    tex = "\n".join(body) + "\n"
    if not standalone:
        return tex
    cites = r"\bibliographystyle{plain}" + "\n" + rf"\bibliography{{{bib_name}}}" + "\n" if view.cited() else ""
    return (
        "\\documentclass{article}\n"
        + "".join(f"\\usepackage{{{p}}}\n" for p in packages(landscape=landscape, resize=resize))
        + "\\usepackage[letterpaper,margin=1in]{geometry}\n\\begin{document}\n"
        + tex
        + cites
        + "\\end{document}\n"
    )


def bibtex(view: View, ref: Reference) -> str:
    """The BibTeX entries of the benchmarks `view` cites ("" when it cites none)."""
    return "".join(ref.bib[b.key] + "\n\n" for b in view.cited())
