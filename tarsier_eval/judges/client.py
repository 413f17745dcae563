"""The OpenAI-compatible judge client: bounded concurrency, retries with backoff, a persistent cache, a budget.

`OpenAIJudge` implements the `Judge` protocol of `judges/base.py` against any chat-completions endpoint (OpenAI,
Azure OpenAI with `azure_api_version`, vLLM or any other compatible server via `base_url`).

- Concurrency: at most `concurrency` HTTP requests in flight (asyncio + the `openai` async client).
- Transport failures: 429 waits for `Retry-After` (or `retry-after-ms`) when the server gives it, else backs off
  exponentially with jitter; 5xx, 408, 409, timeouts, connection errors and undecodable bodies back off and retry;
  other 4xx fail at once. At most `max_attempts` HTTP attempts per reply.
- Malformed replies (empty content, or `request.parse` raising `JudgeParseError`) are asked again, at most
  `request.max_parse_attempts` (default `max_parse_attempts`) times, as the official scripts do; then the outcome
  carries an `error` and the scorer marks the sample `judge_failed`.
- Cache: replies that parsed are stored by (model, messages, params); identical requests in one run are sent once.
- Budget: before each call the client checks spent + in-flight + this call's estimate against `budget_usd` and,
  when it would exceed it, stops calling: the remaining requests fail with "judge budget exhausted".
- The API key is read from the environment variable *named* by `api_key_env`; it never appears in outcomes,
  errors, logs or `usage()`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import openai
from tqdm import tqdm

from tarsier_eval.errors import UsageError
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.cache import JudgeCache, cache_key
from tarsier_eval.judges.pricing import cost_usd, price_for

log = logging.getLogger(__name__)
T = TypeVar("T")

BUDGET_EXHAUSTED = "judge budget exhausted"
_RETRY_STATUS = {408, 409, 429}


@dataclass
class JudgeConfig:
    """How to reach the judge and how hard to try; everything but the key itself (see `api_key_env`)."""

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    azure_api_version: str | None = None
    concurrency: int = 16
    max_attempts: int = 6
    max_parse_attempts: int = 10
    timeout: float = 60.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    budget_usd: float | None = None
    price_override: tuple[float | None, float | None] = (None, None)
    completion_estimate_tokens: int = 256


class _CallFailed(Exception):
    """An HTTP call that could not produce a reply within its attempts (or was refused by the budget)."""


class _BudgetExhausted(_CallFailed):
    pass


@dataclass
class _Usage:
    requests: int = 0
    calls: int = 0
    cache_hits: int = 0
    deduplicated: int = 0
    failures: int = 0
    retries: int = 0
    parse_retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    spent_usd: float = 0.0
    budget_exhausted: bool = False
    errors: dict[str, int] = field(default_factory=dict)
    served_models: dict[str, int] = field(default_factory=dict)  # the replies' `model` field: who answered


def _safe_url(url: str | None) -> str | None:
    """The base URL without user info, query or fragment (where credentials could hide)."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """Seconds from `retry-after-ms` / `Retry-After` (delta seconds or an HTTP date), None when absent."""
    headers = exc.response.headers
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _run_coroutine(coro: Awaitable[T]) -> T:
    """asyncio.run, also from code that already runs inside an event loop (then in a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


class OpenAIJudge:
    """A `Judge` over the chat-completions protocol; see the module docstring for its guarantees."""

    def __init__(self, config: JudgeConfig, cache: JudgeCache | None = None):
        if config.concurrency < 1 or config.max_attempts < 1 or config.max_parse_attempts < 1:
            raise UsageError("judge concurrency and attempt counts must be at least 1")
        self.config = config
        self.model = config.model
        self.cache = cache
        self._key = os.environ.get(config.api_key_env, "")
        if not self._key and config.base_url is None:
            raise UsageError(
                f"judge API key: environment variable {config.api_key_env} is not set "
                "(name another with --judge-api-key-env, or point --judge-base-url at a server that needs none)"
            )
        self._prices = price_for(config.model, config.price_override)
        self._usage = _Usage()
        self._reserved = 0.0
        self._completion_seen: list[int] = []

    # ---- the Judge protocol -------------------------------------------------------------------------------
    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        return _run_coroutine(self._run(requests, desc))

    def usage(self) -> dict[str, Any]:
        """Counters and estimated cost for the run manifest (never the key)."""
        u = self._usage
        return {
            "model": self.model,
            "base_url": _safe_url(self.config.base_url),
            "api_key_env": self.config.api_key_env,
            "requests": u.requests,
            "calls": u.calls,
            "cache_hits": u.cache_hits,
            "deduplicated": u.deduplicated,
            "failures": u.failures,
            "retries": u.retries,
            "parse_retries": u.parse_retries,
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "estimated_usd": round(u.spent_usd, 6),
            "price_per_mtok": list(self._prices) if self._prices else None,
            "price_known": self._prices is not None,
            "budget_usd": self.config.budget_usd,
            "budget_exhausted": u.budget_exhausted,
            "errors": dict(u.errors),
            "served_models": dict(u.served_models),
        }

    # ---- internals ------------------------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key and len(self._key) >= 4 else text

    def _client(self) -> openai.AsyncOpenAI:
        cfg = self.config
        key = self._key or "EMPTY"
        if cfg.azure_api_version:
            if not cfg.base_url:
                raise UsageError("Azure OpenAI needs --judge-base-url (the resource endpoint)")
            return openai.AsyncAzureOpenAI(
                azure_endpoint=cfg.base_url,
                api_version=cfg.azure_api_version,
                api_key=key,
                timeout=cfg.timeout,
                max_retries=0,
            )
        return openai.AsyncOpenAI(base_url=cfg.base_url, api_key=key, timeout=cfg.timeout, max_retries=0)

    async def _run(self, requests: list[JudgeRequest], desc: str) -> list[JudgeOutcome]:
        self._usage.requests += len(requests)
        outcomes: list[JudgeOutcome | None] = [None] * len(requests)
        groups: dict[str, list[int]] = {}
        for i, req in enumerate(requests):
            groups.setdefault(cache_key(self.model, req.messages, req.params), []).append(i)
        self._usage.deduplicated += len(requests) - len(groups)
        pending: list[tuple[str, list[int]]] = []
        for ckey, idxs in groups.items():
            hit = self._from_cache(ckey, requests[idxs[0]])
            if hit is None:
                pending.append((ckey, idxs))
                continue
            self._usage.cache_hits += len(idxs)
            for i in idxs:
                outcomes[i] = JudgeOutcome(requests[i].key, hit.value, hit.text, None, True, 0)
        bar = tqdm(total=len(groups), initial=len(groups) - len(pending), desc=desc, unit="req", disable=None)
        if pending:
            sem = asyncio.Semaphore(self.config.concurrency)
            client = self._client()
            try:

                async def one(ckey: str, idxs: list[int]) -> None:
                    first = requests[idxs[0]]
                    outcome = await self._judge(client, sem, ckey, first)
                    bar.update(1)
                    for i in idxs:
                        outcomes[i] = JudgeOutcome(
                            requests[i].key, outcome.value, outcome.text, outcome.error, False, outcome.attempts
                        )

                await asyncio.gather(*(one(ckey, idxs) for ckey, idxs in pending))
            finally:
                await client.close()
        bar.close()
        done = [o for o in outcomes if o is not None]
        self._usage.failures += sum(not o.ok for o in done)
        return done

    def _from_cache(self, ckey: str, req: JudgeRequest) -> JudgeOutcome | None:
        if self.cache is None:
            return None
        text = self.cache.get(ckey)
        if text is None:
            return None
        try:
            value = req.parse(text) if req.parse else text
        except JudgeParseError:
            return None  # the parser changed since the reply was stored: ask again
        return JudgeOutcome(req.key, value, text, None, True)

    async def _judge(self, client: openai.AsyncOpenAI, sem: asyncio.Semaphore, ckey: str, req: JudgeRequest):
        limit = req.max_parse_attempts or self.config.max_parse_attempts
        last_error, last_text, attempts = "", None, 0
        for parse_attempt in range(limit):
            if parse_attempt:
                self._usage.parse_retries += 1
            try:
                text, pt, ct, n = await self._call(client, sem, req)
            except _CallFailed as exc:
                return JudgeOutcome(req.key, None, last_text, str(exc), False, attempts)
            attempts += n
            last_text = text
            try:
                if not text or not text.strip():
                    raise JudgeParseError("empty reply")
                value = req.parse(text) if req.parse else text
            except JudgeParseError as exc:
                last_error = str(exc) or "unparseable reply"
                self._count_error("unparseable")
                continue
            if self.cache is not None:
                self.cache.put(ckey, self.model, text, pt, ct)
            return JudgeOutcome(req.key, value, text, None, False, attempts)
        return JudgeOutcome(
            req.key, None, last_text, f"unparseable judge reply after {limit} attempts: {last_error}", False, attempts
        )

    def _estimate(self, req: JudgeRequest) -> float:
        chars = sum(len(str(m.get("content", ""))) for m in req.messages)
        seen = self._completion_seen[-100:]
        completion = int(
            req.params.get("max_tokens") or (max(seen) if seen else self.config.completion_estimate_tokens)
        )
        return cost_usd(self._prices, chars // 3 + 16, completion)

    def _count_error(self, kind: str) -> None:
        self._usage.errors[kind] = self._usage.errors.get(kind, 0) + 1

    async def _call(self, client: openai.AsyncOpenAI, sem: asyncio.Semaphore, req: JudgeRequest):
        """One reply text and its token counts; retries transport failures. Raises _CallFailed."""
        cfg = self.config
        last = ""
        for attempt in range(1, cfg.max_attempts + 1):
            wait: float | None = None
            async with sem:
                if self._usage.budget_exhausted:
                    raise _BudgetExhausted(BUDGET_EXHAUSTED)
                estimate = self._estimate(req)
                budget = cfg.budget_usd
                if budget is not None and self._usage.spent_usd + self._reserved + estimate > budget:
                    self._usage.budget_exhausted = True
                    raise _BudgetExhausted(BUDGET_EXHAUSTED)
                self._reserved += estimate
                try:
                    self._usage.calls += 1
                    resp = await client.chat.completions.create(model=self.model, messages=req.messages, **req.params)
                    text = resp.choices[0].message.content if resp.choices else None
                    served = str(getattr(resp, "model", None) or "")
                    self._usage.served_models[served] = self._usage.served_models.get(served, 0) + 1
                    usage = resp.usage
                    pt = int(getattr(usage, "prompt_tokens", 0) or 0)
                    ct = int(getattr(usage, "completion_tokens", 0) or 0)
                    self._usage.prompt_tokens += pt
                    self._usage.completion_tokens += ct
                    self._usage.spent_usd += cost_usd(self._prices, pt, ct)
                    self._completion_seen.append(ct)
                    return text or "", pt, ct, attempt
                except openai.APIStatusError as exc:
                    status = exc.status_code
                    last = f"HTTP {status}: {self._redact(str(exc))[:300]}"
                    self._count_error(f"http_{status}")
                    if status not in _RETRY_STATUS and status < 500:
                        raise _CallFailed(last) from None
                    if status == 429:
                        wait = _retry_after(exc)
                except openai.APITimeoutError:
                    last = f"timed out after {cfg.timeout:g} s"
                    self._count_error("timeout")
                except openai.APIConnectionError as exc:
                    last = f"connection error: {self._redact(str(exc))[:300]}"
                    self._count_error("connection")
                except (openai.APIError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
                    last = f"bad response: {type(exc).__name__}: {self._redact(str(exc))[:300]}"
                    self._count_error("bad_response")
                finally:
                    self._reserved -= estimate
            if attempt == cfg.max_attempts:
                break
            self._usage.retries += 1
            if wait is None:
                wait = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            log.debug("judge retry %d/%d in %.2fs: %s", attempt, cfg.max_attempts, wait, last)
            await asyncio.sleep(min(wait, cfg.backoff_max))
        raise _CallFailed(f"judge call failed after {cfg.max_attempts} attempts: {last}")
