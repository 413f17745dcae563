"""Sub-commands runs, reindex, table, plot, report, gate, compare (`register` adds them to the main CLI).

Each handler takes the parsed args and returns the exit code of the DESIGN contract: 0 done, 1 failed gate,
2 bad usage or input (the handler prints the reason on stderr).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from tarsier_eval.errors import TarsierEvalError, UsageError
from tarsier_eval.report import index
from tarsier_eval.report.index import index_run
from tarsier_eval.report.runs import Run, resolve_runs

__all__ = ["index_run", "main", "register"]

DEFAULT_ROOT = Path("results")


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except TarsierEvalError as e:
            print(f"error: {e}", file=sys.stderr)
            return e.exit_code

    return wrapper


def _runs(args: argparse.Namespace, names: list[str]) -> list[Run]:
    return [resolve_runs(n, args.results_root) for n in names]


def _emit(text: str, output: Path | None) -> None:
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


@_guard
def cmd_runs(args: argparse.Namespace) -> int:
    rows = index.list_runs(args.results_root)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("| run_id | created | model | fingerprint | status | tasks |\n|---|---|---|---|---|---|")
    for r in rows:
        fp = (r["fingerprint"] or "-")[:12]
        print(f"| {r['run_id']} | {r['created'] or '-'} | {r['model']} | {fp} | {r['status']} | {r['tasks'] or ''} |")
    return 0


@_guard
def cmd_reindex(args: argparse.Namespace) -> int:
    done, skipped = index.reindex(args.results_root)
    print(f"indexed {done} run(s) into {index.index_path(args.results_root)}")
    for s in skipped:
        print(f"skipped {s}", file=sys.stderr)
    return 0


@_guard
def cmd_table(args: argparse.Namespace) -> int:
    from tarsier_eval.report.latex import bibtex, to_latex
    from tarsier_eval.report.reference import load_reference
    from tarsier_eval.report.render import render
    from tarsier_eval.report.tables import build_view, split_view

    latex_only = [f for f in ("standalone", "landscape", "resize", "bib") if getattr(args, f)]
    if args.format != "latex" and latex_only:
        raise UsageError(f"--{', --'.join(latex_only)}: LaTeX options; add --format latex")
    if args.format == "csv" and args.split != 1:
        raise UsageError("--split lays out a printed table; CSV is one line per number (drop --split)")
    ref = load_reference()
    runs = _runs(args, args.runs)
    view = split_view(
        build_view(args.layout, ref, runs, with_reference=args.with_reference, run_group=args.group), args.split
    )
    if args.format != "latex":
        _emit(render(view, args.format), args.output)
        return 0
    bib = args.bib or (args.output.with_suffix(".bib") if args.output else None)
    if bib and args.output and bib.resolve() == args.output.resolve():
        raise UsageError(f"--bib {bib} would overwrite the table (--output); name another file")
    tex_dir = args.output.parent if args.output else Path.cwd()
    bib_name = Path(os.path.relpath(bib, tex_dir)).with_suffix("").as_posix() if bib else "benchmarks"
    tex = to_latex(view, standalone=args.standalone, landscape=args.landscape, resize=args.resize, bib_name=bib_name)
    _emit(tex, args.output)
    if view.cited() and bib:
        _emit(bibtex(view, ref), bib)
    elif view.cited():
        keys = ", ".join(b.key for b in view.cited())
        print(f"note: the table cites {keys}; --bib FILE (or --output) writes their BibTeX entries", file=sys.stderr)
    return 0


@_guard
def cmd_plot(args: argparse.Namespace) -> int:
    from tarsier_eval.report.plots import benchmark_bars, figure1
    from tarsier_eval.report.reference import load_reference

    ref, runs = load_reference(), _runs(args, args.runs)
    paths = figure1(ref, runs, args.out) + (benchmark_bars(ref, runs, args.out) if runs else [])
    for p in paths:
        print(p)
    return 0


@_guard
def cmd_report(args: argparse.Namespace) -> int:
    from tarsier_eval.report.page import build_page
    from tarsier_eval.report.reference import load_reference

    out = args.output or args.results_root / "report.html"
    _emit(build_page(load_reference(), _runs(args, args.runs)), out)
    return 0


@_guard
def cmd_gate(args: argparse.Namespace) -> int:
    from tarsier_eval.report.gate import gate_reference, gate_runs, load_config, to_markdown
    from tarsier_eval.report.reference import load_reference

    if not args.against and not args.baseline:
        print("error: gate needs --baseline RUN and/or --against reference:<model>", file=sys.stderr)
        return 2
    if args.against and not args.against.startswith("reference:"):
        print("error: --against takes reference:<model>, e.g. reference:tarsier2-7b", file=sys.stderr)
        return 2
    cfg = load_config(args.config)
    cand = resolve_runs(args.candidate, args.results_root)
    checks, text = [], ""
    if args.baseline:  # with --against too, both gates run and both must pass
        base = resolve_runs(args.baseline, args.results_root)
        checks += gate_runs(base, cand, cfg, args.allow_protocol_mismatch)
        text += to_markdown(checks, f"{cand.run_id} vs baseline {base.run_id}", "baseline")
    if args.against:
        model = args.against.split(":", 1)[1]
        against = gate_reference(cand, load_reference(), model, cfg, args.allow_protocol_mismatch)
        checks += against
        text += to_markdown(against, f"{cand.run_id} vs published {model}", "published")
    sys.stdout.write(text)
    if args.output:  # appended, as CI job summaries ($GITHUB_STEP_SUMMARY) expect
        with args.output.open("a", encoding="utf-8") as f:
            f.write(text)
    return 0 if all(c.passed for c in checks) else 1


@_guard
def cmd_compare(args: argparse.Namespace) -> int:
    from tarsier_eval.report.compare import flipped, to_markdown

    a, b = resolve_runs(args.run_a, args.results_root), resolve_runs(args.run_b, args.results_root)
    for run in (a, b):
        if args.task not in run.scores:
            print(f"error: run {run.run_id} has no task {args.task}", file=sys.stderr)
            return 2
    rows = flipped(a, b, args.task)
    _emit(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if args.json
        else to_markdown(a, b, args.task, rows),
        args.output,
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the report and gate sub-commands to the main `tarsier-eval` parser."""
    from tarsier_eval.report.render import FORMATS
    from tarsier_eval.report.tables import LAYOUTS

    def add(name: str, func: Callable, help_: str) -> argparse.ArgumentParser:
        p = subparsers.add_parser(name, help=help_, description=help_)
        p.add_argument(
            "--results-root",
            type=Path,
            default=DEFAULT_ROOT,
            help="results root holding runs/ and index.sqlite (default: results)",
        )
        p.set_defaults(func=func)
        return p

    p = add("runs", cmd_runs, "List the runs in the results index.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    add("reindex", cmd_reindex, "Rebuild the results index from every run dir under <results-root>/runs.")

    p = add("table", cmd_table, "Print a paper-layout table: our runs beside the published rows.")
    p.add_argument("--layout", required=True, choices=LAYOUTS)
    p.add_argument(
        "--runs",
        nargs="*",
        default=[],
        metavar="RUN",
        help="run ids or run dirs; a,b,c (or LABEL=a,b,c) = runs of one model in one row",
    )
    p.add_argument("--with-reference", action="store_true", help="include the paper's published rows")
    p.add_argument("--format", choices=FORMATS, default="md", help="md, latex, html or csv (one line per number)")
    p.add_argument(
        "--group",
        help="scale group our runs join (default: the table's: small, <=10B; embodied: the models below Human)",
    )
    p.add_argument(
        "--split",
        type=int,
        default=1,
        metavar="N",
        help="print the columns in N stacked blocks, each with the Model column (e.g. --split 2 for the 15-column "
        "summary); md, html, latex",
    )
    p.add_argument("--standalone", action="store_true", help="latex: a compilable document, not a table float")
    p.add_argument(
        "--landscape", action="store_true", help="latex: a sidewaystable (its own rotated page; package rotating)"
    )
    p.add_argument(
        "--resize",
        action="store_true",
        help="latex: scale a tabular wider than the line down to the line width (\\resizebox, never up; graphicx)",
    )
    p.add_argument(
        "--bib",
        type=Path,
        metavar="FILE",
        help="latex: write the BibTeX entries of the benchmarks the headers \\cite here "
        "(default with --output: beside it, OUTPUT.bib)",
    )
    p.add_argument("--output", type=Path, help="write to this file instead of stdout")

    p = add("plot", cmd_plot, "Draw the Figure 1 chart and a per-benchmark bar chart (PNG and SVG).")
    p.add_argument("runs", nargs="*", metavar="RUN")
    p.add_argument("--out", type=Path, default=Path("results/plots"), help="output folder")

    p = add("report", cmd_report, "Write one self-contained HTML page: tables, charts, per-sample browser.")
    p.add_argument("runs", nargs="+", metavar="RUN")
    p.add_argument("--output", type=Path, help="HTML file (default: <results-root>/report.html)")

    p = add(
        "gate", cmd_gate, "Gate a candidate run against a baseline run or the published numbers; exit 1 on failure."
    )
    p.add_argument("--candidate", required=True, metavar="RUN")
    p.add_argument("--baseline", metavar="RUN")
    p.add_argument("--against", metavar="reference:MODEL", help="e.g. reference:tarsier2-7b")
    p.add_argument("--config", type=Path, help="gates.yaml with tolerances (default: tolerance 1 point)")
    p.add_argument(
        "--allow-protocol-mismatch",
        action="store_true",
        help="compare tasks scored under different protocols anyway (noted in the output)",
    )
    p.add_argument("--output", type=Path, help="also append the Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)")

    p = add("compare", cmd_compare, "List the samples of a task whose correctness flipped between two runs.")
    p.add_argument("run_a", metavar="RUN_A")
    p.add_argument("run_b", metavar="RUN_B")
    p.add_argument("--task", required=True)
    p.add_argument("--json", action="store_true", help="JSON lines instead of Markdown")
    p.add_argument("--output", type=Path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tarsier-eval", description="tarsier-eval reports and gates")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
