"""Start-up cost of the offline commands: `python -m tarsier_eval CMD` vs the same command after importing torch,
transformers and openai (what every offline command paid before they were made lazy).

Builds two TVBench runs (all 2,525 samples) in a temporary results root with the CLI itself (`samples`, then `score --output`
on predictions that are right except for a planted set), then times `--help`, `tasks`, `samples`, `score` (no
judge), `table`, `runs`, `gate` and `compare` as subprocesses: one untimed run of each (page cache), then --rounds
rounds with the variants interleaved (order alternating, so a burst of load from other jobs hits both), every
run's exit code and stdout checked identical to the untimed one's. Per child it reads wall time, CPU time (user + system) and
peak RSS from `os.wait4`; it prints the medians and the ratios baseline / ours.

    PYTHONPATH=. python benchmarks/startup.py [--rounds 3] [--data-root ../shared/benchmarks]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = (
    "import torch, transformers, openai, runpy, sys; sys.argv = ['tarsier-eval', *sys.argv[1:]]; "
    "runpy.run_module('tarsier_eval', run_name='__main__', alter_sys=True)"
)
VARIANTS = {"ours": [sys.executable, "-m", "tarsier_eval"], "baseline": [sys.executable, "-c", BASELINE]}


def default_data_root() -> Path:
    return Path(os.environ.get("TARSIER_EVAL_SHARED", REPO.parent / "shared" / "benchmarks"))


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, int, str]:
    """(wall s, CPU s, peak RSS bytes, exit code, stdout) of one child, its resources read by os.wait4."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        text = out.read().decode()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, proc.returncode, text


def build_runs(root: Path, data: Path, env: dict[str, str]) -> Path:
    """Runs `a` (10 % wrong) and `b` (20 % wrong) of all TVBench samples; returns a's predictions."""
    cli = VARIANTS["ours"]
    listed = subprocess.run([*cli, "samples", "--task", "tvbench", "--data-root", str(data)],
                            capture_output=True, text=True, env=env, check=True).stdout  # fmt: skip
    samples = [json.loads(line) for line in listed.splitlines()]
    for run_id, every in (("a", 10), ("b", 5)):
        preds = root / f"{run_id}.jsonl"
        with preds.open("w") as f:
            for i, s in enumerate(samples):
                letters = [chr(65 + k) for k in range(len(s["options"]))]
                letter = s["answer"] if i % every else next(x for x in letters if x != s["answer"])
                f.write(json.dumps({"sample_id": s["sample_id"], "response": f"({letter})"}) + "\n")
        subprocess.run([*cli, "score", "--task", "tvbench", "--predictions", str(preds), "--data-root", str(data),
                        "--output", str(root / "runs" / run_id)], capture_output=True, env=env, check=True)  # fmt: skip
    subprocess.run([*cli, "reindex", "--results-root", str(root)], capture_output=True, env=env, check=True)
    return root / "a.jsonl"


def commands(root: Path, data: Path, preds: Path) -> dict[str, list[str]]:
    d, r = str(data), str(root)
    return {
        "--help": ["--help"],
        "tasks": ["tasks"],
        "samples": ["samples", "--task", "tvbench", "--data-root", d, "--limit", "3"],
        "score": ["score", "--task", "tvbench", "--predictions", str(preds), "--data-root", d],
        "table": ["table", "--layout", "short-qa", "--runs", "a", "--results-root", r],
        "runs": ["runs", "--results-root", r],
        "gate": ["gate", "--baseline", "a", "--candidate", "b", "--results-root", r],
        "compare": ["compare", "a", "b", "--task", "tvbench", "--results-root", r],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after the untimed one (default 3)")
    parser.add_argument("--data-root", type=Path, default=default_data_root(),
                        help="the benchmark annotations (default $TARSIER_EVAL_SHARED or ../shared/benchmarks)")  # fmt: skip
    args = parser.parse_args()
    if not (args.data_root / "TVBench").is_dir():
        raise SystemExit(f"no TVBench annotations under {args.data_root} (pass --data-root)")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TOKENIZERS_PARALLELISM": "false"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env["TARSIER_EVAL_CACHE"] = str(root / "cache")
        cmds = commands(root, args.data_root, build_runs(root, args.data_root, env))
        print(f"{os.cpu_count()} CPUs, load average {_load()}; {args.rounds} timed rounds, medians; "
              f"ratio = baseline (torch, transformers, openai imported first) / ours")  # fmt: skip
        expected = {name: run([*VARIANTS["ours"], *cmd], env, root)[3:] for name, cmd in cmds.items()}  # untimed
        times: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        for round_ in range(args.rounds):
            for i, (name, cmd) in enumerate(cmds.items()):
                for variant in list(VARIANTS) if (round_ + i) % 2 == 0 else list(VARIANTS)[::-1]:
                    *measured, code, stdout = run([*VARIANTS[variant], *cmd], env, root)
                    if (code, stdout) != expected[name]:
                        raise SystemExit(f"`{name}` ({variant}): exit code or stdout differs from the first run's")
                    times.setdefault((name, variant), []).append(tuple(measured))
    print("\n| command | wall s ours / baseline | CPU s ours / baseline | peak RSS MiB ours / baseline "
          "| **wall x** | **CPU x** | **RSS x** | stdout |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name in cmds:
        ours, base = (tuple(statistics.median(m[k] for m in times[name, v]) for k in range(3)) for v in VARIANTS)
        print(f"| `{name}` | {ours[0]:.2f} / {base[0]:.2f} | {ours[1]:.2f} / {base[1]:.2f} | "
              f"{ours[2] / 2**20:.0f} / {base[2] / 2**20:.0f} | **x{base[0] / ours[0]:.1f}** | "
              f"**x{base[1] / ours[1]:.1f}** | **x{base[2] / ours[2]:.1f}** | identical |")  # fmt: skip
    print(f"\nload average at the end {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
