"""Usage and cost of one client: HTTP calls, retries, errors by kind, tokens, estimated spend, the budget.

The spend is an estimate from list prices (`pricing.py`). With a budget, every HTTP attempt first reserves its
estimated cost (prompt characters / 3 + 16 tokens in, `max_tokens` or the largest recent completion out); an
attempt whose reservation, added to what was spent and what is in flight, would exceed the budget is refused and
no later attempt is made (`BudgetExhausted`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tarsier_eval.openai_compat.pricing import cost_usd, price_for


class CallFailed(Exception):
    """A request that produced no reply within its attempts (or was refused by the budget)."""


class BudgetExhausted(CallFailed):
    pass


@dataclass
class Usage:
    calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    spent_usd: float = 0.0
    budget_exhausted: bool = False
    errors: dict[str, int] = field(default_factory=dict)
    served_models: dict[str, int] = field(default_factory=dict)  # the replies' `model` field: who answered


class Meter:
    """Counts calls, tokens and errors, prices them, and holds attempts to `budget_usd`."""

    def __init__(self, model: str, prices_override: tuple[float | None, float | None], budget_usd: float | None,
                 completion_estimate_tokens: int):  # fmt: skip
        self.prices = price_for(model, prices_override)
        self.budget_usd = budget_usd
        self.completion_estimate_tokens = completion_estimate_tokens
        self.usage = Usage()
        self._reserved = 0.0
        self._completions: deque[int] = deque(maxlen=100)

    def reserve(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> float:
        """The estimate reserved for one attempt; raises BudgetExhausted when it would exceed the budget."""
        u = self.usage
        if u.budget_exhausted:
            raise BudgetExhausted("budget exhausted")
        if self.budget_usd is None:
            return 0.0
        chars = sum(len(str(m.get("content", ""))) for m in messages)
        seen = self._completions
        completion = int(params.get("max_tokens") or (max(seen) if seen else self.completion_estimate_tokens))
        estimate = cost_usd(self.prices, chars // 3 + 16, completion)
        if u.spent_usd + self._reserved + estimate > self.budget_usd:
            u.budget_exhausted = True
            raise BudgetExhausted("budget exhausted")
        self._reserved += estimate
        return estimate

    def release(self, estimate: float) -> None:
        self._reserved -= estimate

    def record(self, prompt_tokens: int, completion_tokens: int, served_model: str = "") -> None:
        u = self.usage
        u.served_models[served_model] = u.served_models.get(served_model, 0) + 1
        u.prompt_tokens += prompt_tokens
        u.completion_tokens += completion_tokens
        u.spent_usd += cost_usd(self.prices, prompt_tokens, completion_tokens)
        if self.budget_usd is not None:
            self._completions.append(completion_tokens)

    def error(self, kind: str, n: int = 1) -> None:
        self.usage.errors[kind] = self.usage.errors.get(kind, 0) + n

    def report(self) -> dict[str, Any]:
        u = self.usage
        return {
            "calls": u.calls,
            "retries": u.retries,
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "estimated_usd": round(u.spent_usd, 6),
            "price_per_mtok": list(self.prices) if self.prices else None,
            "price_known": self.prices is not None,
            "budget_usd": self.budget_usd,
            "budget_exhausted": u.budget_exhausted,
            "errors": dict(u.errors),
            "served_models": dict(u.served_models),
        }
