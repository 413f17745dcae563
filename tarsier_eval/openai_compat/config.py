"""What it takes to reach an OpenAI-compatible endpoint: `ClientConfig`, the key, the request URL and headers.

The key is read from the environment variable *named* by `api_key_env` and never stored in the config. Without a
`base_url` the endpoint is `OPENAI_BASE_URL` from the environment, else OpenAI's. With `azure_api_version` the
base URL is the Azure resource endpoint, `model` the deployment name, and the key goes in an `api-key` header.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from tarsier_eval import __version__
from tarsier_eval.errors import UsageError

OPENAI_BASE_URL = "https://api.openai.com/v1"


@dataclass
class ClientConfig:
    """How to reach the endpoint and how hard to try; everything but the key itself (see `api_key_env`)."""

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    azure_api_version: str | None = None
    concurrency: int = 16
    max_attempts: int = 6
    timeout: float = 60.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    budget_usd: float | None = None
    price_override: tuple[float | None, float | None] = (None, None)
    completion_estimate_tokens: int = 256


def read_key(config: ClientConfig, hint: str) -> str:
    """The API key from the environment; a UsageError (with `hint` on how to fix it) when OpenAI would need one."""
    key = os.environ.get(config.api_key_env, "")
    if not key and config.base_url is None:
        raise UsageError(f"API key: environment variable {config.api_key_env} is not set ({hint})")
    return key


def request_url(config: ClientConfig) -> str:
    """The chat-completions URL: `{base}/chat/completions`, or Azure's deployment path with its api-version."""
    if config.azure_api_version:
        if not config.base_url:
            raise UsageError("Azure OpenAI needs a base URL: the resource endpoint (https://NAME.openai.azure.com)")
        query = urlencode({"api-version": config.azure_api_version})
        deployment = quote(config.model, safe="")
        return f"{config.base_url.rstrip('/')}/openai/deployments/{deployment}/chat/completions?{query}"
    base = config.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL
    return base.rstrip("/") + "/chat/completions"


def request_headers(config: ClientConfig, key: str) -> dict[str, str]:
    """Headers of every request; a missing key is sent as "EMPTY" (what keyless vLLM servers expect to ignore)."""
    auth = {"api-key": key or "EMPTY"} if config.azure_api_version else {"Authorization": f"Bearer {key or 'EMPTY'}"}
    return {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "User-Agent": f"tarsier-eval/{__version__}",
        **auth,
    }


def safe_url(url: str | None) -> str | None:
    """The URL without user info, query or fragment (where credentials could hide)."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
