"""The LLM judge over any OpenAI-compatible endpoint: cache, deduplication, re-asked replies, budget, follow-ups.

`OpenAIJudge` implements the `Judge` protocol of `judges/base.py` on `tarsier_eval.openai_compat.ChatClient`, which
carries the transport: bounded concurrency, retries honouring Retry-After, 5xx and timeouts, usage and cost, key
hygiene (see its docstring; OpenAI, Azure OpenAI with `azure_api_version`, vLLM or any server via `base_url`).
The judge adds:
- Malformed replies (empty content, or `request.parse` raising `JudgeParseError`) are asked again, at most
  `request.max_parse_attempts` (default `max_parse_attempts`) times, as the official scripts do; then the outcome
  carries an `error` and the scorer marks the sample `judge_failed`.
- Cache: replies that parsed are stored by (model, messages, params). Identical requests in one run are sent once,
  also when one is a follow-up made while its twin is still in flight (`deduplicated` counts the twins).
- Budget: with `budget_usd`, an attempt that would take the estimated spend past it is not made, nor any after it:
  those requests fail with "judge budget exhausted".
- Follow-ups: `run_with_followups` (what `judges.chain.run_with_followups` calls) calls a request's `then` as soon
  as its outcome is known to be successful, and the requests it returns start at once, under the same bound,
  cache and deduplication: no barrier between rounds. `run` ignores `then`.
- `usage()`: requests (follow-ups included), HTTP calls, cache hits, failures, retries, parse retries, tokens,
  cost, budget state, errors by kind; never the key.
Nothing here imports `openai` or `httpx`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from tqdm import tqdm

from tarsier_eval.errors import UsageError
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.cache import JudgeCache, cache_key
from tarsier_eval.judges.chain import Pairs, follow
from tarsier_eval.openai_compat.client import ChatClient, ChatSession, run_sync
from tarsier_eval.openai_compat.config import ClientConfig
from tarsier_eval.openai_compat.usage import BudgetExhausted, CallFailed

BUDGET_EXHAUSTED = "judge budget exhausted"
KEY_HINT = "judge: name another with --judge-api-key-env, or point --judge-base-url at a server that needs none"


@dataclass
class JudgeConfig(ClientConfig):
    """The endpoint (`ClientConfig`) plus how often a malformed reply is asked again by default."""

    max_parse_attempts: int = 10


@dataclass
class _Counts:
    requests: int = 0
    cache_hits: int = 0
    deduplicated: int = 0
    failures: int = 0
    parse_retries: int = 0


class OpenAIJudge:
    """A `Judge` over the chat-completions protocol; see the module docstring for its guarantees."""

    def __init__(self, config: JudgeConfig, cache: JudgeCache | None = None):
        if config.max_parse_attempts < 1:
            raise UsageError("judge parse attempts must be at least 1")
        self.config = config
        self.model = config.model
        self.cache = cache
        self.client = ChatClient(config, key_hint=KEY_HINT)
        self._counts = _Counts()

    # ---- the Judge protocol -------------------------------------------------------------------------------
    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        return [outcome for _, outcome in run_sync(self._run(requests, desc, follow_ups=False))]

    def run_with_followups(self, requests: list[JudgeRequest], desc: str = "judge") -> Pairs:
        """(root, outcome) for the requests and all their follow-ups, as `judges.chain.run_with_followups` says."""
        return run_sync(self._run(requests, desc, follow_ups=True))

    def usage(self) -> dict[str, Any]:
        """Counters and estimated cost for the run manifest (never the key)."""
        c, transport = self._counts, self.client.usage()
        head = {k: transport.pop(k) for k in ("model", "base_url", "api_key_env")}
        return {**head, "requests": c.requests, "calls": transport.pop("calls"), "cache_hits": c.cache_hits,
                "deduplicated": c.deduplicated, "failures": c.failures, "retries": transport.pop("retries"),
                "parse_retries": c.parse_retries, **transport}  # fmt: skip

    def _progress(self) -> dict[str, str]:
        """What the judge bar shows beside its count: calls made, cache hits, cost so far and budget left."""
        usage, budget = self.client.meter.usage, self.client.config.budget_usd
        shown = {"calls": str(usage.calls), "cached": str(self._counts.cache_hits), "cost": f"${usage.spent_usd:.4f}"}
        if budget is not None:
            shown["budget_left"] = f"${max(0.0, budget - usage.spent_usd):.4f}"
        return shown

    # ---- internals ------------------------------------------------------------------------------------------
    async def _run(self, requests: list[JudgeRequest], desc: str, follow_ups: bool) -> Pairs:
        bar = tqdm(total=len(requests), desc=desc, unit="req", disable=None, mininterval=1.0)
        shared: dict[str, asyncio.Future[JudgeOutcome]] = {}
        async with self.client.session() as session:

            async def answer(req: JudgeRequest) -> JudgeOutcome:
                outcome = await self._answer(session, shared, req)
                bar.set_postfix(self._progress(), refresh=False)
                bar.update(1)
                return outcome

            def added(n: int) -> None:
                bar.total += n

            if follow_ups:
                pairs = await follow(requests, answer, added)
            else:
                pairs = list(zip(requests, await asyncio.gather(*(answer(r) for r in requests)), strict=True))
        bar.close()
        self._counts.requests += len(pairs)
        self._counts.failures += sum(not o.ok for _, o in pairs)
        return pairs

    async def _answer(
        self, session: ChatSession, shared: dict[str, asyncio.Future[JudgeOutcome]], req: JudgeRequest
    ) -> JudgeOutcome:
        """From the cache, from a twin asked earlier in this run (done or in flight), or from the endpoint."""
        ckey = cache_key(self.model, req.messages, req.params)
        twin = shared.get(ckey)
        if twin is not None:
            self._counts.deduplicated += 1
            return replace(await twin, key=req.key)
        future: asyncio.Future[JudgeOutcome] = asyncio.get_running_loop().create_future()
        shared[ckey] = future
        try:
            outcome = self._from_cache(ckey, req)
            if outcome is None:
                outcome = await self._judge(session, ckey, req)
            else:
                self._counts.cache_hits += 1
        except BaseException:
            future.cancel()
            raise
        future.set_result(outcome)
        return outcome

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

    async def _judge(self, session: ChatSession, ckey: str, req: JudgeRequest) -> JudgeOutcome:
        limit = req.max_parse_attempts or self.config.max_parse_attempts
        last_error, last_text, attempts = "", None, 0
        for parse_attempt in range(limit):
            if parse_attempt:
                self._counts.parse_retries += 1
            try:
                reply = await session.complete(req.messages, req.params)
            except BudgetExhausted:
                return JudgeOutcome(req.key, None, last_text, BUDGET_EXHAUSTED, False, attempts)
            except CallFailed as exc:
                return JudgeOutcome(req.key, None, last_text, f"judge call failed: {exc}", False, attempts)
            attempts += reply.attempts
            last_text = reply.text
            try:
                if not reply.text.strip():
                    raise JudgeParseError("empty reply")
                value = req.parse(reply.text) if req.parse else reply.text
            except JudgeParseError as exc:
                last_error = str(exc) or "unparseable reply"
                self.client.meter.error("unparseable")
                continue
            if self.cache is not None:
                self.cache.put(ckey, self.model, reply.text, reply.prompt_tokens, reply.completion_tokens)
            return JudgeOutcome(req.key, value, reply.text, None, False, attempts)
        return JudgeOutcome(
            req.key, None, last_text, f"unparseable judge reply after {limit} attempts: {last_error}", False, attempts
        )
