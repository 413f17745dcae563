"""Command-line parts of interoperability: `score --from lmms-eval LOG...` and the `export` sub-command.

`add_import_arguments` adds `--from` and the LOG arguments to `score`; `score_inputs` turns a score command line
into the predictions file to score (given, or mapped from lmms-eval logs) and the notes that go with it;
`register` adds `export --format lmms-eval RUN`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError

FORMATS = ("lmms-eval",)


def add_import_arguments(score: argparse.ArgumentParser) -> None:
    score.add_argument("--from", dest="source", choices=FORMATS,
                       help="score another harness's logs (LOG...) instead of --predictions")  # fmt: skip
    score.add_argument("logs", nargs="*", metavar="LOG",
                       help="with --from lmms-eval: its --log_samples files (*_samples_<task>.jsonl) or a folder "
                            "holding them; documents are mapped to sample ids by content")  # fmt: skip
    score.add_argument("--on-ambiguous", choices=("error", "skip"), default="error",
                       help="with --from: a document that matches several samples scoring differently is an error "
                            "(default), or is left out and reported (skip)")  # fmt: skip


def task_samples(task: str, data_root: str | None, loader_options: dict[str, Any]) -> list[Sample]:
    """A task's samples as `score` and `run` load them (the annotation records that fail to load are left out)."""
    from tarsier_eval.data.load import load_samples
    from tarsier_eval.data.roots import resolve_data_root
    from tarsier_eval.registry import get_task
    from tarsier_eval.task import options_for

    spec = get_task(task)
    if not spec.implemented:
        raise UsageError(f"task '{spec.name}' is planned, not implemented yet")
    return load_samples(spec, resolve_data_root(spec, data_root), None, options_for(spec.name, loader_options)).samples


@contextmanager
def score_inputs(args: argparse.Namespace, loader_options: dict[str, Any]) -> Iterator[tuple[Path, list[str]]]:
    """(predictions file to score, notes for scores.json) of a `score` command line."""
    if args.source is None:
        if args.logs:
            raise UsageError(f"LOG arguments ({args.logs[0]}) are read with --from lmms-eval")
        if not args.predictions:
            raise UsageError("score needs --predictions P.jsonl, or --from lmms-eval LOG...")
        yield Path(args.predictions), []
        return
    if args.predictions:
        raise UsageError("give --predictions or --from lmms-eval LOG..., not both")
    if not args.logs:
        raise UsageError("--from lmms-eval needs the lmms-eval samples files (or their folder) as arguments")
    from tarsier_eval.interop.lmms_eval.importer import imported_predictions

    samples = task_samples(args.task, args.data_root, loader_options)
    output = Path(args.output) if args.output else None
    with imported_predictions(args.task, [Path(p) for p in args.logs], samples, on_duplicate=args.on_duplicate,
                              on_ambiguous=args.on_ambiguous, output=output) as imported:  # fmt: skip
        yield imported.predictions, imported.notes


def cmd_export(args: argparse.Namespace) -> int:
    from tarsier_eval.interop.lmms_eval.export import exportable, task_lines, write_export
    from tarsier_eval.rundir import Manifest, read_samples

    run_dir = Path(args.run_dir)
    manifest = Manifest.read(run_dir)
    rows = read_samples(run_dir / "samples.jsonl")
    if not rows:
        raise UsageError(f"{run_dir} has no samples.jsonl rows to export (is the run finished? `merge` it first)")
    tasks = [t.strip() for t in args.tasks.split(",")] if args.tasks else sorted({r.task for r in rows})
    data_root = args.data_root or manifest.config.get("data_root")
    exports = []
    for bench in exportable(tasks):
        samples = task_samples(bench.task, data_root, manifest.config.get("loader_options") or {})
        exports.append(task_lines(bench, samples, [r for r in rows if r.task == bench.task]))
    for path in write_export(run_dir, Path(args.output) if args.output else run_dir / "lmms-eval", exports):
        print(f"wrote {path}")
    for export in exports:
        if export.left_out:
            print(f"warning: {export.task}: {export.left_out} samples without a reply (missing or failed) are not "
                  "in the lmms-eval files", file=sys.stderr)  # fmt: skip
    return 0


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="write a run's per-sample results in another harness's layout",
                            description="Write a run's per-sample results as lmms-eval --log_samples files "
                                        "(docs/lmms-eval.md).")  # fmt: skip
    export.add_argument("run_dir", metavar="RUN", help="a run dir (results/runs/<run_id>)")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--output", help="folder to write into (default RUN/lmms-eval)")
    export.add_argument("--data-root", help="where the run's annotations are (default: the run's own data root)")
    export.add_argument("--tasks", help="comma-separated: only these tasks of the run")
    export.set_defaults(func=cmd_export)
