"""Answer options as benchmarks letter them: A, B, C... and their rendering into a prompt."""

from __future__ import annotations

import string

from tarsier_eval.errors import ConfigError

LETTERS = string.ascii_uppercase


def option_label(index: int) -> str:
    return LETTERS[index]


def render_options(options: list[str], style: str = "({letter}) {text}") -> list[str]:
    return [style.format(letter=option_label(i), text=text) for i, text in enumerate(options)]


DUPLICATE_GOLD = ("first", "last")


def equal_candidate(candidates: list[str], text: str, which: str) -> int:
    """The index of the candidate equal to `text`, the `first` or the `last` one when candidates repeat (the MVBench,
    TVBench and MLVU notebooks keep the last: their letter-assigning loop has no `break`); ValueError when none is."""
    if which == "first":
        return candidates.index(text)
    return len(candidates) - 1 - candidates[::-1].index(text)


def check_duplicate_gold(which: str, task: str) -> str:
    """`which` if it is a rule of `equal_candidate`, else a ConfigError naming the loader option."""
    if which not in DUPLICATE_GOLD:
        raise ConfigError(f"task {task}: loader option duplicate_gold must be one of {DUPLICATE_GOLD}, got {which!r}")
    return which
