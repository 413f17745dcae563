"""Every paper layout as `tarsier-eval table --format latex` writes it: compiled (pdflatex + bibtex, every citation
resolved from the BibTeX file written beside it) and parsed back, its structure checked against the paper's
(tests/fixtures/paper_layouts.yaml): header rows and spans, column order, benchmark citations, groups and their
captions, row names and order, sub-tables, bold/underline, grey, "*", frames and the Previous SOTA citations."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tarsier_eval.report.latex import bibtex, to_latex
from tarsier_eval.report.reference import load_reference
from tarsier_eval.report.tables import LAYOUTS, build_view
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "paper_layouts.yaml"
EXPECTED = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
REF = load_reference()
TEX = pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("bibtex") is None,
    reason="pdflatex/bibtex absent (Debian packages texlive-latex-base texlive-latex-recommended; make system-deps)",
)
_UNESCAPE = (("$^\\dagger$", "†"), ("$\\leq$", "≤"), ("$<$", "<"), ("$>$", ">"), ("\\_", "_"), ("\\&", "&"))


def unescape(text: str) -> str:
    for a, b in _UNESCAPE:
        text = text.replace(a, b)
    return text.strip()


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)&", line.strip().removesuffix("\\\\"))]


def header_cell(cell: str) -> str:
    """`\\multicolumn{2}{c}{X~\\cite{k}}` -> "X [k] (x2)"; `DVC$_{\\mathrm{F1}}$` -> "DVC_F1"."""
    span = ""
    m = re.fullmatch(r"\\multicolumn\{(\d+)\}\{c\}\{(.*)\}", cell)
    if m:
        span, cell = f" (x{m[1]})", m[2]
    cell = re.sub(r"~\\cite\{([^}]+)\}", r" [\1]", cell)
    cell = re.sub(r"\$_\{\\mathrm\{(\w+)\}\}\$", r"_\1", cell)
    return unescape(cell) + span


def parse_value(piece: str) -> dict:
    """One printed value: its number, marks and notes."""
    flags = {
        "grey": piece.startswith(r"\textcolor{tablegrey}{"),
        "bold": r"\textbf{" in piece,
        "underline": r"\underline{" in piece,
        "star": "$^*$" in piece,
    }
    frames = re.search(r"\((\d+)f\)", piece)
    bare = re.sub(r"\\(textcolor\{tablegrey\}|textbf|underline)\{|[{}]|\$\^\*\$|\(\d+f\)", "", piece).strip()
    return {**flags, "number": bare, "frames": int(frames[1]) if frames else None}


def parse_tabular(lines: list[str]) -> dict:
    """Header rows (after \\toprule, before the first \\midrule) and body rows ("# caption" where a group starts)."""
    body_at = lines.index(r"\midrule")
    header = [[header_cell(c) for c in cells(x)] for x in lines[2:body_at] if not x.startswith(r"\cmidrule")]
    rules = [x for x in lines[2:body_at] if x.startswith(r"\cmidrule")]
    rows, values, k = [], {}, body_at
    while lines[k] != r"\bottomrule":
        line = lines[k]
        if line == r"\midrule":
            cap = re.fullmatch(r"\\multicolumn\{\d+\}\{l\}\{\\textit\{(.*)\}\} \\\\", lines[k + 1])
            rows.append(f"# {unescape(cap[1])}" if cap else "#")
            k += 2 if cap else 1
            continue
        name, *rest = cells(line)
        rows.append(unescape(name))
        values[unescape(name)] = rest
        k += 1
    return {"header": header, "rules": rules, "rows": rows, "values": values}


def tabulars(tex: str) -> list[dict]:
    blocks = re.findall(r"\\begin\{tabular\}(?:\[t\])?\{l?c*\}\n(.*?)\\end\{tabular\}", tex, flags=re.S)
    return [parse_tabular(["", *b.strip().splitlines(), r"\end{tabular}"]) for b in blocks]


def base_name(label: str) -> str:
    return re.sub(r" \[\d+\]", "", label).rstrip("†")


def marked(layout: str, parsed: list[dict]) -> dict[str, set[str]]:
    """ "row: part" per mark, over every printed value (parts from the view's columns, in print order)."""
    view = build_view(layout, REF, [], with_reference=True)
    out: dict[str, set[str]] = {"bold": set(), "underline": set(), "grey": set(), "star": set()}
    out["frames"], out["sota_cites"] = {}, []
    for table, panel in zip(parsed, view.panels, strict=True):
        for name, row in table["values"].items():
            for col, cell in zip(panel.columns, row, strict=True):
                cite = re.search(r" \[(\d+)\]$", cell)
                if cite:
                    out["sota_cites"].append(cite[1])
                    cell = cell[: cite.start()]
                for part, piece in zip(col.parts, cell.split("/"), strict=True):
                    v = parse_value(piece)
                    for flag in ("bold", "underline", "grey", "star"):
                        if v[flag]:
                            out[flag].add(f"{base_name(name)}: {part}")
                    if v["frames"]:
                        out["frames"][f"{base_name(name)}: {part}"] = v["frames"]
    return out


def latex(tmp_path: Path, layout: str) -> str:
    """The standalone document and its BibTeX file, as `table --format latex --standalone --output` writes them
    (the CLI itself: test_wide_summary_landscape_resize_and_split)."""
    view = build_view(layout, REF, [], with_reference=True)
    tex = to_latex(view, standalone=True, bib_name=layout)
    (tmp_path / f"{layout}.tex").write_text(tex, encoding="utf-8")
    if view.cited():
        (tmp_path / f"{layout}.bib").write_text(bibtex(view, REF), encoding="utf-8")
    return tex


def compile_tex(tmp_path: Path, stem: str) -> str:
    """pdflatex, bibtex (when the document has a bibliography), pdflatex twice: the final log."""

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=180)

    first = run("pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{stem}.tex")
    assert first.returncode == 0, first.stdout[-3000:]
    if (tmp_path / f"{stem}.bib").exists():
        bib = run("bibtex", stem)
        assert bib.returncode == 0, bib.stdout + bib.stderr
        run("pdflatex", "-interaction=nonstopmode", f"{stem}.tex")
        run("pdflatex", "-interaction=nonstopmode", f"{stem}.tex")
    assert (tmp_path / f"{stem}.pdf").stat().st_size > 1000
    return (tmp_path / f"{stem}.log").read_text(encoding="latin-1")


def overfull_pt(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]


def test_every_layout_has_an_expectation():
    assert set(EXPECTED) == set(LAYOUTS)


@TEX
@pytest.mark.parametrize("layout", LAYOUTS)
def test_latex_compiles_with_the_papers_structure(tmp_path, layout):
    tex = latex(tmp_path, layout)
    want = EXPECTED[layout]
    # the float numbers itself: the caption carries no "Table N:", the label names the layout
    caption = re.search(r"\\caption\{(.*)\}", tex)[1]
    assert not caption.startswith("Table") and f"\\label{{tab:{layout}}}" in tex
    parsed = tabulars(tex)
    assert [{"header": t["header"], "rows": t["rows"]} for t in parsed] == want["tables"]
    for table in parsed:  # a spanning header cell has its rule below it
        spans = [c for row in table["header"] for c in row if c.endswith(")") and " (x" in c]
        assert len(table["rules"]) == (1 if spans else 0)
    got = marked(layout, parsed)
    for mark in ("bold", "underline"):
        assert got[mark] == set(want[mark]), mark
    grey_rows = {r: {f"{r}: {p}" for p in REF.tables[layout].parts} for r in want.get("grey", []) if ": " not in r}
    assert got["grey"] == set().union(*grey_rows.values(), {g for g in want.get("grey", []) if ": " in g})
    assert got["star"] == set(want.get("star", [])) and got["frames"] == want.get("frames", {})
    assert got["sota_cites"] == want.get("sota_cites", [])
    # every \cite resolves from the BibTeX file written beside the table
    log = compile_tex(tmp_path, layout)
    assert "undefined" not in log.lower()
    keys = re.findall(r"\\cite\{([^}]+)\}", tex)
    if keys:
        bbl = (tmp_path / f"{layout}.bbl").read_text()
        assert sorted(re.findall(r"\\bibitem\{([^}]+)\}", bbl)) == sorted(set(keys))


@TEX
def test_summary_values_are_the_papers_means(tmp_path):
    parsed = tabulars(latex(tmp_path, "summary"))
    (table,) = parsed
    numbers = {name: [parse_value(c)["number"] for c in row] for name, row in table["values"].items()}
    assert numbers == EXPECTED["summary"]["values"]


@TEX
def test_wide_summary_landscape_resize_and_split(tmp_path):
    """The 15-column summary overflows a page's text width; --resize fits it, --landscape gives it the page height,
    --split 2 prints it as two blocks of about half the width."""
    full = overfull_pt(compile_tex(tmp_path, _write(tmp_path, "full")))
    assert len(full) == 1 and full[0] > 300  # > 300pt wider than the 6.5in text width
    assert overfull_pt(compile_tex(tmp_path, _write(tmp_path, "resized", "--resize"))) == []
    landscape = _write(tmp_path, "landscape", "--landscape")
    assert r"\begin{sidewaystable}" in (tmp_path / f"{landscape}.tex").read_text()
    (rotated,) = overfull_pt(compile_tex(tmp_path, landscape))
    assert rotated == pytest.approx(full[0] - (9 - 6.5) * 72.27, abs=1)  # the page height (9in) instead of 6.5in
    split = _write(tmp_path, "split", "--split", "2")
    parsed = tabulars((tmp_path / f"{split}.tex").read_text())
    assert [len(t["header"][0]) - 1 for t in parsed] == [7, 7]
    assert all(t["rows"] == EXPECTED["summary"]["tables"][0]["rows"] for t in parsed)
    text_width = 6.5 * 72.27
    widths = [text_width + x for x in overfull_pt(compile_tex(tmp_path, split))]
    assert len(widths) == 2 and all(w < 0.6 * (text_width + full[0]) for w in widths)
    both = _write(tmp_path, "both", "--landscape", "--split", "2", "--resize")
    assert overfull_pt(compile_tex(tmp_path, both)) == []


def _write(tmp_path: Path, stem: str, *args: str) -> str:
    proc = run_cli("table", "--layout", "summary", "--with-reference", "--format", "latex", "--standalone",
                   "--output", str(tmp_path / f"{stem}.tex"), *args)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return stem
