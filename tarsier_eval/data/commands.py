"""`tarsier-eval data check`: the data doctor on the command line (`register` adds it to the main parser).

Exit codes: 0 every task's data is complete; 1 some task's data is incomplete (missing or malformed annotation
records, missing, empty or (with --probe) undecodable media); 2 bad usage (unknown task, no data root, a loader
option the loader does not take).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from tarsier_eval.data.doctor import SHOWN, TaskCheck


def _shown(items: list[str]) -> str:
    more = f", ... ({len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def _annotation_lines(check: TaskCheck) -> list[str]:
    lines = []
    for a in check.annotations:
        if a.found is None:
            tried = f" (tried {', '.join(a.tried)})" if len(a.tried) > 1 else ""
            lines.append(f"  MISSING {a.name}{tried}")
            continue
        where = "" if a.found == a.name else f" found as {a.found}"
        verdict = {"matches": "matches the official file", "differs": "DIFFERS from the official file "
                   f"({(a.official_sha256 or '')[:12]}...): numbers may not compare with published ones",
                   "unknown": "no official checksum recorded"}[a.checksum]  # fmt: skip
        lines.append(f"  ok {a.name}{where}: sha256 {(a.sha256 or '')[:12]}... {verdict}")
    return lines


def _media_lines(check: TaskCheck) -> list[str]:
    m = check.media
    if check.records is None:
        return ["media: not checked (no records loaded)"]
    lines = [
        f"media: {m.referenced} referenced, {m.found} found, {len(m.missing)} missing, {len(m.empty)} empty"
        + (f", {len(m.unreadable)} unreadable (probed)" if m.probed else " (not probed; --probe decodes them)")
    ]
    lines += [f"  missing: {_shown(m.missing)}"] if m.missing else []
    lines += [f"  empty (0 bytes or no files): {_shown(m.empty)}"] if m.empty else []
    lines += [f"  unreadable: {path}: {why}" for path, why in list(m.unreadable.items())[:SHOWN]]
    lines += [f"  ... ({len(m.unreadable) - SHOWN} more unreadable)"] if len(m.unreadable) > SHOWN else []
    return lines


def format_check(check: TaskCheck) -> str:
    """The human-readable report of one task."""
    lines = [f"== {check.task} ({check.benchmark}): {'complete' if check.complete else 'INCOMPLETE'}",
             f"folder: {check.folder}", *(f"note: {n}" for n in check.notes), "annotations:",
             *_annotation_lines(check)]  # fmt: skip
    if check.load_error:
        lines.append(f"records: not loaded: {check.load_error}")
    elif check.records is not None:
        lines.append(f"records: {check.records} loaded, {len(check.issues)} malformed")
        lines += [f"  malformed: {issue}" for issue in check.issues[:SHOWN]]
        lines += [f"  ... ({len(check.issues) - SHOWN} more)"] if len(check.issues) > SHOWN else []
    else:
        lines.append("records: not loaded (annotation files missing)")
    lines += _media_lines(check)
    if check.archives:
        lines.append(f"unpack first: {_shown(check.archives)} (archives in {check.folder})")
    if not check.complete and check.sources.lines():
        lines += ["download:", *(f"  {line}" for line in check.sources.lines())]
    return "\n".join(lines)


def _probe(check: TaskCheck, spec: Any, workers: int) -> None:
    from tarsier_eval.video.probe import probe_media

    check.media.unreadable = probe_media(Path(check.folder), check.to_probe, spec.video, workers=workers,
                                         desc=f"probe {check.task}")  # fmt: skip
    check.media.probed = True


def cmd_data_check(args: argparse.Namespace) -> int:
    from tarsier_eval.cli import parse_kv
    from tarsier_eval.data.doctor import check_task
    from tarsier_eval.data.roots import resolve_data_root
    from tarsier_eval.registry import all_tasks, resolve_tasks
    from tarsier_eval.task import options_for

    names = [n for n, s in all_tasks().items() if s.implemented] if args.tasks == "all" else args.tasks
    options = parse_kv(args.loader_options)
    checks = []
    for spec in resolve_tasks(names):
        check = check_task(spec, resolve_data_root(spec, args.data_root), options_for(spec.name, options))
        if args.probe:
            _probe(check, spec, args.workers)
        checks.append(check)
        if not args.json:
            print(format_check(check) + "\n", flush=True)
    done = sum(c.complete for c in checks)
    if args.json:
        print(json.dumps([c.to_json() for c in checks], indent=1, ensure_ascii=False))
    else:
        print(f"{done} of {len(checks)} tasks complete" + ("" if done == len(checks) else ": see INCOMPLETE above"))
    return 0 if done == len(checks) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `data check` to the main parser."""
    data = subparsers.add_parser("data", help="check benchmark data before a run (data check)")
    sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "check",
        help="report per task: annotation files, records, media found, what to download",
        description="Report whether each task's data is complete under --data-root (exit 0 only if all are).",
    )
    p.add_argument("--tasks", required=True, help="comma-separated task names, or all (every implemented task)")
    p.add_argument("--data-root", help="folder holding each benchmark's folder (or $TARSIER_EVAL_DATA_ROOT)")
    p.add_argument("--probe", action="store_true", help="decode each media's sampled frames, in parallel")
    p.add_argument("--workers", type=int, default=max(1, min(8, (os.cpu_count() or 2) - 1)),
                   help="processes decoding with --probe (default: CPU cores - 1, at most 8)")  # fmt: skip
    p.add_argument("--loader-options", default="", help="loader options, e.g. videohallucer.temporal=pre2025-10")
    p.add_argument("--json", action="store_true", help="print one JSON report for all tasks")
    p.set_defaults(func=cmd_data_check)
