"""`ChatClient`: chat completions from an OpenAI-compatible endpoint with bounded concurrency, retries and usage.

- Concurrency: at most `concurrency` HTTP requests in flight per session (`async with client.session() as s`;
  one session per event loop, its keep-alive connections closed at the end).
- Retries: 429 and 503 wait for `retry-after-ms` / `Retry-After` (seconds or an HTTP date) when the server gives
  it, else exponential backoff with jitter (base `backoff_base`, cap `backoff_max`); 5xx, 408, 409, timeouts
  (`timeout` seconds for a whole exchange), connection failures and undecodable replies are retried the same
  way; other 4xx fail at once. At most `max_attempts` HTTP attempts per completion; failures raise `CallFailed`.
- Usage and cost (`usage()`): calls (HTTP attempts), retries, tokens, estimated USD, budget state, errors by kind
  (`http_<status>`, `timeout`, `connection`, `bad_response`); see `usage.py` for the budget.
- Secrets: the key is read once from the environment variable named by `api_key_env`; it appears in no error,
  log line or `usage()` (server error texts are redacted), and the base URL is reported without credentials.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from tarsier_eval.errors import UsageError
from tarsier_eval.openai_compat.config import ClientConfig, read_key, request_headers, request_url, safe_url
from tarsier_eval.openai_compat.http import ConnectionFailed, Pool, Response
from tarsier_eval.openai_compat.usage import CallFailed, Meter

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUS = {408, 409, 429}
RETRY_AFTER_STATUS = {429, 503}


@dataclass
class Completion:
    """One reply: its text ("" when the server sent none), token counts, finish reason and HTTP attempts used."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    attempts: int


class _Retry(Exception):
    """A failed attempt worth another: `message` for the final error, `wait` from Retry-After when given."""

    def __init__(self, message: str, kind: str, wait: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.wait = wait


def run_sync(coro: Awaitable[T]) -> T:
    """asyncio.run, also from code that already runs inside an event loop (then in a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def retry_after(response: Response) -> float | None:
    """Seconds from `retry-after-ms` / `Retry-After` (delta seconds or an HTTP date), None when absent."""
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, parsed.timestamp() - time.time())


class ChatClient:
    """See the module docstring. `key_hint` completes the error raised when the key is missing."""

    def __init__(self, config: ClientConfig, *, key_hint: str):
        if config.concurrency < 1 or config.max_attempts < 1:
            raise UsageError("concurrency and max attempts must be at least 1")
        self.config = config
        self._key = read_key(config, key_hint)
        self.url = request_url(config)
        self.headers = request_headers(config, self._key)
        try:
            Pool(self.url, self.headers)  # validates the URL, the headers and the proxy settings now
        except ValueError as exc:
            raise UsageError(f"endpoint {safe_url(self.url)}: {self.redact(str(exc))}") from None
        self.meter = Meter(config.model, config.price_override, config.budget_usd, config.completion_estimate_tokens)

    def redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key and len(self._key) >= 4 else text

    def usage(self) -> dict[str, Any]:
        """Model, endpoint (no credentials), the key's variable name, then the counters of `Meter.report`."""
        cfg = self.config
        return {"model": cfg.model, "base_url": safe_url(cfg.base_url), "api_key_env": cfg.api_key_env,
                **self.meter.report()}  # fmt: skip

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ChatSession]:
        session = ChatSession(self)
        try:
            yield session
        finally:
            await session.pool.close()
            if session.pool.stale:
                self.meter.error("stale_connection", session.pool.stale)


class ChatSession:
    """One event loop's connections and concurrency bound; `complete` is the call."""

    def __init__(self, client: ChatClient):
        self.client = client
        self.pool = Pool(client.url, client.headers)
        self._sem = asyncio.Semaphore(client.config.concurrency)

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Completion:
        """The reply to `messages` with sampling `params`; retries as the module docstring says; raises CallFailed."""
        cfg, meter = self.client.config, self.client.meter
        body = json.dumps({"model": cfg.model, "messages": messages, **params}, ensure_ascii=False).encode()
        for attempt in range(1, cfg.max_attempts + 1):
            try:
                async with self._sem:
                    estimate = meter.reserve(messages, params)
                    try:
                        meter.usage.calls += 1
                        return self._completion(await self._send(body), attempt)
                    finally:
                        meter.release(estimate)
            except _Retry as failure:
                meter.error(failure.kind)
                last = self.client.redact(str(failure))[:300]
                wait = failure.wait
            if attempt == cfg.max_attempts:
                break
            meter.usage.retries += 1
            if wait is None:
                wait = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            log.debug("retry %d/%d in %.2fs: %s", attempt, cfg.max_attempts, wait, last)
            await asyncio.sleep(min(wait, cfg.backoff_max))
        raise CallFailed(f"no reply after {cfg.max_attempts} attempts: {last}")

    async def _send(self, body: bytes) -> Response:
        timeout = self.client.config.timeout
        try:
            response = await asyncio.wait_for(self.pool.post(body), timeout)
        except asyncio.TimeoutError:
            raise _Retry(f"timed out after {timeout:g} s", "timeout") from None
        except ConnectionFailed as exc:
            raise _Retry(f"connection error: {exc}", "connection") from None
        status = response.status
        if status == 200:
            return response
        text = f"HTTP {status}: {_error_message(response)}"
        if status not in RETRY_STATUS and status < 500:
            self.client.meter.error(f"http_{status}")
            raise CallFailed(self.client.redact(text)[:300])
        raise _Retry(text, f"http_{status}", retry_after(response) if status in RETRY_AFTER_STATUS else None)

    def _completion(self, response: Response, attempt: int) -> Completion:
        try:
            data = json.loads(response.body)
            choice = data["choices"][0] if data["choices"] else {}
            text = (choice.get("message") or {}).get("content") or ""
            usage = data.get("usage") or {}
            pt, ct = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            served = str(data.get("model") or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _Retry(f"bad response: {type(exc).__name__}: {exc}", "bad_response") from None
        if not isinstance(text, str):
            raise _Retry(f"bad response: content is {type(text).__name__}", "bad_response")
        self.client.meter.record(pt, ct, served)
        return Completion(text, pt, ct, choice.get("finish_reason"), attempt)


def _error_message(response: Response) -> str:
    """The server's error message (OpenAI's {"error": {"message"}}, vLLM's {"message"}), else the body's start."""
    try:
        data = json.loads(response.body)
        error = data.get("error", data)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)
    except (ValueError, AttributeError):
        pass
    return response.body[:300].decode("utf-8", "replace")
