"""Rendering a task's prompt template (from YAML `prompt:`) for one question with its options."""

from __future__ import annotations

from typing import Any

from tarsier_eval.data.options import render_options


def render_mcq_prompt(prompt_cfg: dict[str, Any], question: str, options: list[str]) -> str:
    """Fill `prompt.template` with {question} and {options}, the options joined one per line in `option_style`."""
    style = prompt_cfg.get("option_style", "({letter}) {text}")
    rendered = "\n".join(render_options(options, style))
    template = prompt_cfg.get("template", "{question}\n{options}")
    return template.format(question=question, options=rendered)
