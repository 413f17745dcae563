"""Estimated cost of a chat endpoint (judge or model under test): USD per million prompt / completion tokens.

List prices of OpenAI (platform.openai.com/pricing, standard tier, as of 2025); Azure deployments of the same
models cost the same. The table is an estimate for budgets and manifests, not a bill: override it with
`ClientConfig.price_override` (for the judge `--judge-price-input/--judge-price-output`, USD per 1M tokens), e.g.
0 for a local vLLM server.
A model not in the table costs 0 and `usage()` says its price is unknown.
"""

from __future__ import annotations

# model name prefix -> (USD per 1M prompt tokens, USD per 1M completion tokens); the longest matching prefix wins.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-35-turbo": (0.50, 1.50),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-3.5-turbo-1106": (1.00, 2.00),
    "gpt-35-turbo-1106": (1.00, 2.00),
    "gpt-4": (30.00, 60.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4-1106-preview": (10.00, 30.00),
    "gpt-4-0125-preview": (10.00, 30.00),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-2024-05-13": (5.00, 15.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


def price_for(model: str, override: tuple[float | None, float | None] = (None, None)) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for `model`, the override taking precedence; None when unknown."""
    matches = [prefix for prefix in PRICES_PER_MTOK if model.startswith(prefix)]
    table = PRICES_PER_MTOK[max(matches, key=len)] if matches else None
    inp, out = override
    if inp is None and out is None:
        return table
    base = table or (0.0, 0.0)
    return (base[0] if inp is None else inp, base[1] if out is None else out)


def cost_usd(prices: tuple[float, float] | None, prompt_tokens: int, completion_tokens: int) -> float:
    if prices is None:
        return 0.0
    return (prompt_tokens * prices[0] + completion_tokens * prices[1]) / 1_000_000
