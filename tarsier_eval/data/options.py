"""Answer options as benchmarks letter them: A, B, C... and their rendering into a prompt."""

from __future__ import annotations

import string

LETTERS = string.ascii_uppercase


def option_label(index: int) -> str:
    return LETTERS[index]


def render_options(options: list[str], style: str = "({letter}) {text}") -> list[str]:
    return [style.format(letter=option_label(i), text=text) for i, text in enumerate(options)]
