"""Judge throughput and client CPU: DREAM-1K AutoDQ (1,000 predictions, 3,000 calls) against the loopback judge.

The loopback server (tests/support/judge_server.py, the deterministic AutoDQ rule, `--latency` s per request) runs
in its own process, so its threads do not compete with the client for this process's GIL. For each concurrency,
`--repeat` rounds of, in this order:
- `cold`: the real scorer through the real judge client (fresh SQLite cache); AutoDQ's precision call for a clip
  starts as soon as that clip's extraction returns (no barrier between stages);
- `warm`: the same with that cache (must make no call);
- `transport`: 3,000 prompts of the same kinds (extraction, recall, precision with the GT events standing in for
  the extracted ones) as independent chat calls through `openai_compat.ChatClient`, no scorer, no cache;
- `sdk`: the first `--sdk-calls` of those through the `openai` SDK (`AsyncOpenAI`, same concurrency), when it is
  installed (a sample: the SDK is slow enough to dominate the run otherwise).
Named baselines and the ratios printed (medians over rounds, with the range):
- concurrency ideal = max(calls x latency / concurrency, longest chain x latency): the wall of an infinitely fast
  client; `efficiency` = ideal / wall. On a small machine client and server CPU bound the wall too:
  `machine_bound_wall_s` = max(ideal, (client + server CPU seconds) / cores), `efficiency_vs_machine_bound` = that
  bound / wall (below 1 where other jobs take the cores).
- client CPU per call = CPU seconds of this process (scorer, judge, cache, transport) / HTTP calls; goal <= 2 ms
  (`cpu_vs_goal` = CPU per call / 2 ms); `sdk_vs_transport` = the SDK's CPU per call / ours.
Checks: cold calls == requests (nothing sent twice, no retries), the server received each of our calls once, warm
calls == 0, the same F1 every run (failures of the SDK reference are reported, not checked). Exit 0 when the CPU
goal and the checks hold. The load average before and after is printed: the machine is shared, and CPU per call
rises with contention.

    python benchmarks/judge.py [--latency 0.05] [--concurrency 32,128] [--repeat 3] [--data-root ../shared/benchmarks]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tarsier_eval.data.load import load_samples  # noqa: E402
from tarsier_eval.judges import autodq  # noqa: E402
from tarsier_eval.judges.cache import JudgeCache  # noqa: E402
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge  # noqa: E402
from tarsier_eval.openai_compat.client import ChatClient  # noqa: E402
from tarsier_eval.registry import get_task  # noqa: E402
from tarsier_eval.scoring.score import score_task  # noqa: E402
from tarsier_eval.scoring.types import Prediction  # noqa: E402

KEY_ENV = "TE_BENCH_JUDGE_KEY"
CPU_GOAL_MS = 2.0
CHAIN_DEPTH = 2  # extraction, then the entailment that needs it
CORES = os.cpu_count() or 1


def predictions(samples) -> dict[str, Prediction]:
    """Every clip predicted: its GT events in reverse order plus an invented event (varied recall/precision)."""
    out = {}
    for s in samples:
        events = s.meta.get("events") or [s.answer]
        text = " ".join(reversed(events[: 1 + s.meta["vid"] % max(1, len(events))])) + " A bird lands on a roof."
        out[s.sample_id] = Prediction(s.sample_id, text)
    return out


def plain_prompts(samples, preds) -> list[list[dict[str, Any]]]:
    """3,000 AutoDQ prompts as independent calls (precision judged on the GT events, standing in for extracted ones)."""
    out = []
    for s in samples:
        pred = preds[s.sample_id].response
        events = s.meta.get("events") or []
        out.append([{"role": "user", "content": autodq.extraction_prompt(pred)}])
        out.append([{"role": "user", "content": autodq.entailment_prompt(events, pred, s.answer)}])
        out.append([{"role": "user", "content": autodq.entailment_prompt(events, s.answer, pred)}])
    return out


class Server:
    """The loopback judge in a child process; `cpu()` reads its CPU seconds so far (Linux /proc)."""

    def __init__(self, latency: float):
        cmd = [sys.executable, "-m", "tests.support.judge_server", "--rule", "autodq", "--latency", str(latency)]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit(f"loopback server did not start: {self.url!r}")

    def cpu(self) -> float | None:
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> dict[str, Any]:
        out, _ = self.proc.communicate("", timeout=30)
        return json.loads(out.strip().splitlines()[-1])


def measured(fn, server: Server) -> dict[str, float]:
    """Wall, this process's CPU and the server's CPU around `fn()`; its result under "result"."""
    s0, c0, w0 = server.cpu(), time.process_time(), time.perf_counter()
    result = fn()
    wall, cpu, s1 = time.perf_counter() - w0, time.process_time() - c0, server.cpu()
    return {"wall_s": wall, "cpu_s": cpu, "server_cpu_s": None if s0 is None else s1 - s0, "result": result}


def score_once(spec, samples, preds, url: str, concurrency: int, cache_file: Path) -> dict[str, Any]:
    judge = OpenAIJudge(
        JudgeConfig(model="loopback-autodq", base_url=url, api_key_env=KEY_ENV, concurrency=concurrency),
        JudgeCache(cache_file),
    )
    scores = score_task(spec, samples, preds, judge=judge)
    u = judge.usage()
    return {"calls": u["calls"], "requests": u["requests"], "retries": u["retries"], "errors": u["errors"],
            "cache_hits": u["cache_hits"], "deduplicated": u["deduplicated"],
            "f1": scores.headline_value, "judge_failed": scores.counts()["n_judge_failed"]}  # fmt: skip


def transport_once(prompts, url: str, concurrency: int) -> dict[str, Any]:
    client = ChatClient(JudgeConfig(model="loopback-autodq", base_url=url, api_key_env=KEY_ENV,
                                    concurrency=concurrency), key_hint="")  # fmt: skip

    async def main() -> None:
        async with client.session() as session:
            await asyncio.gather(*(session.complete(m, {}) for m in prompts))

    asyncio.run(main())
    return {"calls": client.usage()["calls"]}


def sdk_once(prompts, url: str, concurrency: int) -> dict[str, Any]:
    import openai

    async def main() -> list[Any]:
        sem = asyncio.Semaphore(concurrency)
        client = openai.AsyncOpenAI(base_url=url, api_key=os.environ[KEY_ENV], max_retries=0, timeout=600.0)

        async def one(messages) -> None:
            async with sem:
                await client.chat.completions.create(model="loopback-autodq", messages=messages)

        results = await asyncio.gather(*(one(m) for m in prompts), return_exceptions=True)
        await client.close()
        return results

    failed = [r for r in asyncio.run(main()) if isinstance(r, BaseException)]
    return {"calls": len(prompts), "failed": len(failed), "first_error": repr(failed[0]) if failed else None}


def sdk_available() -> bool:
    try:
        import openai  # noqa: F401
    except ImportError:
        return False
    return True


def summary(rows: list[dict[str, Any]], ideal: float | None) -> dict[str, Any]:
    """Medians (and ranges) of wall, CPU per call and, with an ideal, efficiency."""
    calls = rows[0]["result"]["calls"]
    walls = [r["wall_s"] for r in rows]
    per_call = [1000 * r["cpu_s"] / calls for r in rows] if calls else None
    out: dict[str, Any] = {"calls": calls, "wall_s": round(statistics.median(walls), 2),
                           "wall_range_s": [round(min(walls), 2), round(max(walls), 2)]}  # fmt: skip
    out["cpu_s"] = round(statistics.median(r["cpu_s"] for r in rows), 3)
    if per_call:
        out["cpu_ms_per_call"] = round(statistics.median(per_call), 3)
        out["cpu_ms_per_call_range"] = [round(min(per_call), 3), round(max(per_call), 3)]
        server = [r["server_cpu_s"] for r in rows if r["server_cpu_s"] is not None]
        if server:
            out["server_cpu_ms_per_call"] = round(1000 * statistics.median(server) / calls, 3)
    if ideal:
        wall = statistics.median(walls)
        out["ideal_wall_s"] = round(ideal, 3)
        out["efficiency"] = round(ideal / wall, 3)
        server = [r["server_cpu_s"] or 0.0 for r in rows]
        bound = max(ideal, statistics.median(r["cpu_s"] + s for r, s in zip(rows, server, strict=True)) / CORES)
        out["machine_bound_wall_s"] = round(bound, 3)
        out["efficiency_vs_machine_bound"] = round(bound / wall, 3)
    return out


def bench_concurrency(spec, samples, preds, prompts, server: Server, args, concurrency: int) -> dict[str, Any]:
    phases: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": [], "transport": [], "sdk": []}
    with_sdk = not args.no_sdk and sdk_available()
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "judge_cache.sqlite"
            for phase in ("cold", "warm"):
                run = lambda cache=cache: score_once(spec, samples, preds, server.url, concurrency, cache)  # noqa: E731
                phases[phase].append(measured(run, server))
        phases["transport"].append(measured(lambda: transport_once(prompts, server.url, concurrency), server))
        if with_sdk:
            sample = prompts[: args.sdk_calls]
            phases["sdk"].append(measured(lambda sample=sample: sdk_once(sample, server.url, concurrency), server))
    cold = [r["result"] for r in phases["cold"]]
    ideal = max(cold[0]["calls"] * args.latency / concurrency, CHAIN_DEPTH * args.latency)
    report: dict[str, Any] = {"concurrency": concurrency, "cold": summary(phases["cold"], ideal)}
    report["warm"] = summary(phases["warm"], None)
    report["transport"] = summary(phases["transport"], len(prompts) * args.latency / concurrency)
    if with_sdk:
        report["sdk"] = summary(phases["sdk"], min(len(prompts), args.sdk_calls) * args.latency / concurrency)
        report["sdk"]["failed"] = [r["result"]["failed"] for r in phases["sdk"]]
        report["sdk"]["first_error"] = next(
            (r["result"]["first_error"] for r in phases["sdk"] if r["result"]["failed"]), None
        )
        report["sdk_vs_transport"] = round(report["sdk"]["cpu_ms_per_call"] / report["transport"]["cpu_ms_per_call"], 2)
    report["cpu_vs_goal"] = round(report["cold"]["cpu_ms_per_call"] / CPU_GOAL_MS, 3)
    report["checks"] = {
        "calls_equal_requests": all(c["calls"] == c["requests"] == 3 * len(samples) for c in cold),
        "no_retries": all(c["retries"] == 0 and not c["errors"] for c in cold),
        "warm_makes_no_call": all(r["result"]["calls"] == 0 for r in phases["warm"]),
        "same_f1": len({round(r["result"]["f1"], 9) for r in phases["cold"] + phases["warm"]}) == 1,
    }
    report["f1"] = round(cold[0]["f1"], 3)
    report["client_calls"] = sum(r["result"]["calls"] for phase in ("cold", "warm", "transport") for r in phases[phase])
    report["sdk_calls"] = [sum(r["result"]["calls"] - r["result"]["failed"] for r in phases["sdk"]),
                           sum(r["result"]["calls"] for r in phases["sdk"])]  # fmt: skip
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", default="32,128", help="comma-separated concurrencies")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sdk-calls", type=int, default=1000, help="calls of the openai SDK reference per round")
    ap.add_argument("--no-sdk", action="store_true", help="skip the openai SDK reference")
    ap.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "benchmarks")
    args = ap.parse_args()

    spec = get_task("dream1k")
    samples = load_samples(spec, args.data_root).samples
    preds = predictions(samples)
    prompts = plain_prompts(samples, preds)
    os.environ.setdefault(KEY_ENV, "sk-loopback")
    report: dict[str, Any] = {"clips": len(samples), "latency_s": args.latency, "repeat": args.repeat,
                              "cpu_goal_ms_per_call": CPU_GOAL_MS, "load_before": os.getloadavg()}  # fmt: skip
    server = Server(args.latency)
    try:
        report["runs"] = [
            bench_concurrency(spec, samples, preds, prompts, server, args, int(c)) for c in args.concurrency.split(",")
        ]
    finally:
        report["server"] = server.stop()
    report["load_after"] = os.getloadavg()
    ours = sum(r["client_calls"] for r in report["runs"])
    sdk_low, sdk_high = (sum(r["sdk_calls"][i] for r in report["runs"]) for i in (0, 1))
    # each of our calls reached the server once; an SDK call that failed may or may not have reached it
    report["server_saw_each_call_once"] = ours + sdk_low <= report["server"]["requests"] <= ours + sdk_high
    ok = report["server_saw_each_call_once"] and all(
        r["cpu_vs_goal"] <= 1 and all(r["checks"].values()) for r in report["runs"]
    )
    report["target_met"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
