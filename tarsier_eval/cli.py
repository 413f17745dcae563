"""The `tarsier-eval` command line: argument parsing and dispatch, nothing else."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tarsier_eval import __version__
from tarsier_eval.errors import TarsierEvalError, UsageError

EXAMPLES = """examples:
  tarsier-eval run --tasks demo
  tarsier-eval run --tasks tvbench,mvbench --model tarsier2 --model-args pretrained=omni-research/Tarsier2-7b \\
      --data-root /data/benchmarks --batch-size 4
  torchrun --nproc-per-node 8 -m tarsier_eval run --tasks dream1k --model tarsier2 --model-args pretrained=PATH
  tarsier-eval score --task tvbench --predictions preds.jsonl --data-root /data/benchmarks
  tarsier-eval score --task tvbench --from lmms-eval logs/Qwen2-VL-7B/ --data-root /data/benchmarks
"""


def parse_kv(text: str | None) -> dict[str, Any]:
    """`a=1,b=x` -> {"a": 1, "b": "x"}; values are JSON when they parse as JSON (numbers, true/false)."""
    out: dict[str, Any] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise UsageError(f"expected key=value, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        index, total = (int(p) for p in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard takes i/N, got {text!r}") from None
    if not 0 <= index < total:
        raise UsageError(f"--shard {text}: need 0 <= i < N")
    return index, total


RUN_DEFAULTS = {"model": "tiny-qwen2vl", "batch_size": "1", "seed": 0}


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The run settings given on this command line (flags left out are absent)."""
    given: dict[str, Any] = {}
    if args.model is not None:
        given["model"] = args.model
    if args.model_args is not None:
        given["model_args"] = {k: str(v) for k, v in parse_kv(args.model_args).items()}
    for flag, key in (("gen_kwargs", "gen_kwargs"), ("score_options", "score_options"),
                      ("loader_options", "loader_options")):  # fmt: skip
        if getattr(args, flag) is not None:
            given[key] = parse_kv(getattr(args, flag))
    for key in ("data_root", "limit", "workers", "seed", "protocol"):
        if getattr(args, key) is not None:
            given[key] = getattr(args, key)
    if args.batch_size is not None:
        given["batch_size"], given["auto_batch"] = parse_batch_size(args.batch_size)
    if args.frame_cache is not None:
        given["frame_cache"] = str(Path(args.frame_cache).expanduser().resolve())
    if args.frame_cache_size is not None:
        given["frame_cache_bytes"] = _size(args.frame_cache_size, "--frame-cache-size")
    return given


def _run_config(args: argparse.Namespace):
    from tarsier_eval.runner.config import RunConfig
    from tarsier_eval.runner.dist import default_workers

    batch_size, auto = parse_batch_size(RUN_DEFAULTS["batch_size"])
    defaults = {"model": RUN_DEFAULTS["model"], "workers": default_workers(), "seed": RUN_DEFAULTS["seed"],
                "batch_size": batch_size, "auto_batch": auto}  # fmt: skip
    return RunConfig(tasks=[t.strip() for t in args.tasks.split(",") if t.strip()], **{**defaults, **_settings(args)})


def parse_batch_size(text: str) -> tuple[int, bool]:
    """`N` -> (N, False); `auto` -> (8, True); `auto:N` -> (N, True): start at N, halve on out-of-memory."""
    auto = text == "auto" or text.startswith("auto:")
    number = "8" if text == "auto" else text.removeprefix("auto:")
    size = int(number) if number.isdigit() else 0
    if size < 1:
        raise UsageError(f"--batch-size takes N, auto or auto:N (N >= 1), got {text!r}")
    return size, auto


def _size(text: str, flag: str) -> int:
    from tarsier_eval.video.frame_cache import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def _resumed_config(run_dir: Path, overrides: dict[str, Any] | None = None):
    """The run's own config with this command line's settings on top (the fingerprint check judges them)."""
    from dataclasses import replace

    from tarsier_eval.rundir import Manifest
    from tarsier_eval.runner.config import RunConfig

    manifest = Manifest.read_if_any(run_dir)
    if manifest is None or not manifest.config:
        raise UsageError(f"{run_dir} has no manifest.json with a config: not a run dir")
    config = RunConfig(**manifest.config)
    overrides = overrides or {}
    if any(v == "<redacted>" for v in config.model_args.values()) and "model_args" not in overrides:
        raise UsageError("this run's model args held secrets; pass them again with --model-args")
    return replace(config, **overrides)


def cmd_run(args: argparse.Namespace) -> int:
    from tarsier_eval.judges.commands import judge_from_args
    from tarsier_eval.runner.evaluate import run

    args.output_root = Path(args.output).parent  # the judge cache lives in the results root
    if args.resume:
        config = _resumed_config(Path(args.resume), _settings(args))
        if args.tasks and args.tasks != ",".join(config.tasks):
            raise UsageError("--resume continues the run's own tasks; leave --tasks out or repeat them")
    else:
        if not args.tasks:
            raise UsageError("run needs --tasks (see `tarsier-eval tasks`)")
        config = _run_config(args)
    return run(config, sys.argv, Path(args.output), run_id=args.run_id,
               resume=Path(args.resume) if args.resume else None, shard=parse_shard(args.shard),
               judge_factory=lambda: judge_from_args(args), allowed=args.allow_changed or [])  # fmt: skip


def cmd_merge(args: argparse.Namespace) -> int:
    from tarsier_eval.judges.commands import judge_from_args
    from tarsier_eval.runner import lifecycle
    from tarsier_eval.runner.evaluate import finalize

    run_dir = Path(args.run_dir)
    args.output_root = run_dir.parent.parent
    config = _resumed_config(run_dir)
    lifecycle.record(run_dir, "merge", sys.argv)
    return finalize(run_dir, config, judge_from_args(args))


def _data_needed(spec: Any) -> str:
    if spec.builtin_data:
        return "built in"
    files = [a.name for a in spec.annotations]
    listed = ", ".join(files) if len(files) <= 3 else f"{len(files)} annotation files ({files[0]}, ...)"
    media = f" + {spec.media_dir}/" if spec.media_dir else ""
    return f"{spec.data_dir}/: {listed or 'annotations not defined yet'}{media}"


def cmd_tasks(args: argparse.Namespace) -> int:
    from tarsier_eval.registry import all_tasks

    specs = list(all_tasks().values())
    rows = [("task", "benchmark", "status", "metric", "data needed")]
    rows += [(s.name, s.benchmark, s.status, s.metric, _data_needed(s)) for s in specs]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row, spec in zip(rows, [None, *specs], strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
        if args.verbose and spec is not None:
            print("".join(f"    {line}\n" for line in spec.sources.lines()), end="")
    return 0


def cmd_samples(args: argparse.Namespace) -> int:
    from tarsier_eval.data.load import load_samples
    from tarsier_eval.data.roots import resolve_data_root
    from tarsier_eval.registry import get_task

    spec = get_task(args.task)
    if spec.loader is None:
        raise UsageError(f"task {spec.name} is planned and has no loader yet")
    loaded = load_samples(spec, resolve_data_root(spec, args.data_root), args.limit, parse_kv(args.loader_options))
    for sample in loaded.samples:
        print(json.dumps(sample.export(), ensure_ascii=False))
    for issue in loaded.issues:
        print(f"error: {issue}", file=sys.stderr)
    return 1 if loaded.issues else 0


def cmd_score(args: argparse.Namespace) -> int:
    from tarsier_eval.interop.commands import score_inputs
    from tarsier_eval.judges.commands import judge_from_args

    if args.protocols is not None and (args.protocols != "all" or args.protocol or args.output):
        raise UsageError("--protocols takes 'all', and goes without --protocol and --output")
    with score_inputs(args, parse_kv(args.loader_options)) as (predictions, notes):
        if args.protocols is not None:  # lmms-eval logs too: why their number differs, without rerunning a model
            from tarsier_eval.runner.config import RunConfig
            from tarsier_eval.runner.sensitivity import sensitivity

            config = RunConfig(tasks=[args.task], data_root=args.data_root, seed=args.seed,
                               score_options=parse_kv(args.score_options),
                               loader_options=parse_kv(args.loader_options))  # fmt: skip
            return sensitivity(args.task, predictions, config, judge_from_args(args), args.on_duplicate)
        from tarsier_eval.runner.score_only import score_predictions

        return score_predictions(args.task, predictions, Path(args.output) if args.output else None,
                                 data_root=args.data_root, options=parse_kv(args.score_options), seed=args.seed,
                                 loader_options=parse_kv(args.loader_options), judge=judge_from_args(args),
                                 on_duplicate=args.on_duplicate, argv=sys.argv, notes=notes,
                                 protocol=args.protocol)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    from tarsier_eval.interop.commands import add_import_arguments
    from tarsier_eval.judges.commands import add_judge_arguments
    from tarsier_eval.judges.commands import register as register_judge_commands

    parser = argparse.ArgumentParser(
        prog="tarsier-eval", description="Evaluate video LLMs on the Tarsier2 paper's benchmarks with official scoring.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"tarsier-eval {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="generate answers for tasks and score them",
        description="Run a model on tasks; shards across torchrun ranks; writes a run dir.",
    )
    run.add_argument("--tasks", help="comma-separated task names (see `tarsier-eval tasks`)")
    run.add_argument("--model", help="backend: tarsier2, openai or tiny-qwen2vl (default)")
    run.add_argument("--model-args", help="k=v,... e.g. pretrained=PATH,dtype=bfloat16,video_as=images")
    run.add_argument("--data-root", help="folder holding each benchmark's folder (or $TARSIER_EVAL_DATA_ROOT)")
    run.add_argument("--limit", type=int, help="first N samples of each task (smoke tests)")
    run.add_argument("--output", default="results/runs", help="results root; the run dir is OUTPUT/RUN_ID")
    run.add_argument("--run-id", help="name the run dir (required to share one run across --shard processes)")
    run.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a run: finished samples are not redone; settings "
        "given again must match the run's (see --allow-changed)",
    )
    run.add_argument(
        "--allow-changed",
        action="append",
        metavar="FIELD",
        help="accept a run-fingerprint field that differs on --resume/--shard (recorded in the manifest)",
    )
    run.add_argument("--shard", metavar="I/N", help="run only part I of N (Slurm arrays, Ray); then `merge`")
    run.add_argument(
        "--batch-size",
        help="samples per generate call (default 1), or auto[:N] (start at N, default 8; halves on OOM)",
    )
    run.add_argument(
        "--workers",
        type=int,
        help="DataLoader workers decoding video ahead of the model (default: min(2, cores per rank - 1))",
    )
    run.add_argument("--gen-kwargs", help="generation overrides, e.g. max_new_tokens=64")
    run.add_argument("--score-options", help="scorer option overrides: key=v (every task) or task.key=v")
    run.add_argument("--loader-options", help="loader option overrides, e.g. videomme.subtitles=true")
    run.add_argument("--seed", type=int, help="seed of scorers' official random fallbacks (default 0)")
    run.add_argument(
        "--protocol",
        help="scoring protocol per task: NAME, or task=NAME,... (default: each task's "
        "paper protocol); recorded in the manifest and scores",
    )
    run.add_argument("--frame-cache", metavar="DIR", help="reuse decoded, resized frames stored in DIR (optional)")
    run.add_argument("--frame-cache-size", help="bound of --frame-cache (default 50G); least recently used go first")
    add_judge_arguments(run)
    run.set_defaults(func=cmd_run)

    merge = sub.add_parser("merge", help="score a run whose shards were produced by --shard processes")
    merge.add_argument("run_dir")
    add_judge_arguments(merge)
    merge.set_defaults(func=cmd_merge)

    tasks = sub.add_parser("tasks", help="list every registered task with its status, metric and data")
    tasks.add_argument("--verbose", action="store_true", help="also where each task's data comes from")
    tasks.set_defaults(func=cmd_tasks)

    samples = sub.add_parser("samples", help="print a task's samples as JSON lines (sample export contract)")
    samples.add_argument("--task", required=True)
    samples.add_argument("--data-root")
    samples.add_argument("--limit", type=int)
    samples.add_argument("--loader-options", default="", help="e.g. temporal=pre2025 (see the task YAML)")
    samples.set_defaults(func=cmd_samples)

    score = sub.add_parser("score", help="score predictions made anywhere (score-only contract)")
    score.add_argument("--task", required=True)
    score.add_argument("--predictions", help='JSONL of {"sample_id": ..., "response": ...}')
    add_import_arguments(score)
    score.add_argument("--output", help="folder for scores.json and samples.jsonl")
    score.add_argument("--data-root")
    score.add_argument("--score-options", default="", help="scorer option overrides, e.g. strict=true")
    score.add_argument("--loader-options", default="", help="loader option overrides, e.g. subtitles=true")
    score.add_argument("--seed", type=int, default=0)
    score.add_argument(
        "--protocol",
        help="scoring protocol: NAME (official, tarsier, lmms-eval, paper...; default "
        "paper) for the task; `tarsier-eval tasks --verbose` lists each task's",
    )
    score.add_argument(
        "--protocols",
        metavar="all",
        help="score under every protocol of the task and print the "
        "differences (headline, counts, items whose verdict changes)",
    )
    score.add_argument(
        "--on-duplicate",
        choices=("error", "first", "last"),
        default="error",
        help="a sample_id given twice: an error (default), or keep its first or last prediction",
    )
    add_judge_arguments(score)
    score.set_defaults(func=cmd_score)

    for register in _command_registrars():
        register(sub)
    register_judge_commands(sub)
    return parser


def _command_registrars() -> list[Callable[[Any], None]]:
    """Sub-commands defined beside their code (reports, gates, data check, export)."""
    from tarsier_eval.data.commands import register as register_data_commands
    from tarsier_eval.interop.commands import register as register_interop_commands
    from tarsier_eval.report.commands import register as register_report_commands

    return [register_report_commands, register_data_commands, register_interop_commands]


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (`| head`): stop quietly, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout must not fail again
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except TarsierEvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: finished samples are saved; continue with --resume RUN_DIR", file=sys.stderr)
        return 130
