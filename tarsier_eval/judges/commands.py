"""Command-line glue for judges: the `--judge-*` options, building the client from them, `judge-cache`.

The lead's cli.py calls `add_judge_arguments(parser)` on `run`/`score`, `judge_from_args(args)` to get the
`Judge` (None when no judge is configured: judged metrics are then reported as unjudged), and
`register(subparsers)` to add `tarsier-eval judge-cache stats|clear`. The client and the cache (asyncio, tqdm,
sqlite3) are imported only when a judge or the cache is used, so commands that take no judge start fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tarsier_eval.errors import UsageError

if TYPE_CHECKING:
    from tarsier_eval.judges.client import OpenAIJudge

DEFAULT_CACHE = Path("results") / "judge_cache.sqlite"


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("LLM judge (any OpenAI-compatible endpoint)")
    g.add_argument("--judge-base-url", help="chat-completions base URL (OpenAI if omitted; Azure: the endpoint)")
    g.add_argument("--judge-model", help="judge model / deployment name, e.g. gpt-35-turbo-0125")
    g.add_argument(
        "--judge-api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="NAME of the environment variable holding the key (default OPENAI_API_KEY); the key is never logged",
    )
    g.add_argument("--judge-azure-api-version", help="use Azure OpenAI with this api-version")
    g.add_argument("--judge-concurrency", type=int, default=16, help="requests in flight (default 16)")
    g.add_argument("--judge-max-attempts", type=int, default=6, help="HTTP attempts per reply (default 6)")
    g.add_argument("--judge-max-parse-attempts", type=int, default=10, help="re-asks of a malformed reply (default 10)")
    g.add_argument("--judge-timeout", type=float, default=60.0, help="seconds per HTTP request (default 60)")
    g.add_argument(
        "--judge-cache", type=Path, help=f"SQLite cache file (default {DEFAULT_CACHE} under the results root)"
    )
    g.add_argument("--no-judge-cache", action="store_true", help="neither read nor write the judge cache")
    g.add_argument("--judge-budget", type=float, metavar="USD", help="stop calling the judge before exceeding this")
    g.add_argument("--judge-price-input", type=float, metavar="USD", help="USD per 1M prompt tokens (overrides)")
    g.add_argument("--judge-price-output", type=float, metavar="USD", help="USD per 1M completion tokens")


def cache_path(args: argparse.Namespace) -> Path:
    if getattr(args, "judge_cache", None):
        return Path(args.judge_cache)
    root = getattr(args, "results_root", None) or getattr(args, "output_root", None)
    return Path(root) / DEFAULT_CACHE.name if root else DEFAULT_CACHE


def judge_from_args(args: argparse.Namespace) -> OpenAIJudge | None:
    """The configured judge, or None when neither --judge-base-url nor --judge-model is given."""
    model, base_url = getattr(args, "judge_model", None), getattr(args, "judge_base_url", None)
    if not model and not base_url:
        return None
    if not model:
        raise UsageError("--judge-base-url needs --judge-model (the judge model or deployment name)")
    if args.judge_budget is not None and args.judge_budget < 0:
        raise UsageError("--judge-budget must be >= 0")
    settings = {
        "base_url": base_url, "api_key_env": args.judge_api_key_env, "azure_api_version": args.judge_azure_api_version,
        "concurrency": args.judge_concurrency, "max_attempts": args.judge_max_attempts,
        "max_parse_attempts": args.judge_max_parse_attempts, "timeout": args.judge_timeout,
        "budget_usd": args.judge_budget, "price_override": (args.judge_price_input, args.judge_price_output),
    }  # fmt: skip
    return make_judge(model, cache=None if args.no_judge_cache else cache_path(args), **settings)


def make_judge(model: str, *, cache: Path | str | None = DEFAULT_CACHE, **settings: Any) -> OpenAIJudge:
    """An OpenAIJudge for `model` with `JudgeConfig` settings (base_url, api_key_env, azure_api_version,
    concurrency, max_attempts, max_parse_attempts, timeout, budget_usd, price_override); replies are cached in
    the SQLite file `cache` (None: no cache). The Python API builds its judge here too."""
    from dataclasses import fields

    from tarsier_eval.judges.cache import JudgeCache
    from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge

    accepted = {f.name for f in fields(JudgeConfig)} - {"model"}
    unknown = sorted(set(settings) - accepted)
    if unknown:
        raise UsageError(f"judge settings {unknown} are unknown (accepted: {', '.join(sorted(accepted))})")
    if (settings.get("budget_usd") or 0) < 0:
        raise UsageError("the judge budget must be >= 0")
    return OpenAIJudge(JudgeConfig(model=model, **settings), JudgeCache(cache) if cache else None)


def _handle_cache(args: argparse.Namespace) -> int:
    path = cache_path(args)
    if not path.exists():
        print(json.dumps({"path": str(path), "entries": 0, "bytes": 0, "models": {}}, indent=2))
        return 0
    from tarsier_eval.judges.cache import JudgeCache

    cache = JudgeCache(path)
    try:
        if args.action == "stats":
            print(json.dumps(cache.stats(), indent=2))
        else:
            removed = cache.clear(args.model)
            print(f"removed {removed} cached judge replies from {path}")
    finally:
        cache.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("judge-cache", help="inspect or clear the judge cache")
    p.add_argument("action", choices=["stats", "clear"])
    p.add_argument("--judge-cache", type=Path, help=f"cache file (default {DEFAULT_CACHE})")
    p.add_argument("--model", help="clear: only this judge model's entries")
    p.set_defaults(func=_handle_cache)
