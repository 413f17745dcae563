"""The scoring entry point: the task's scorer and parser from the registry, options checked, the framework run."""

from __future__ import annotations

import inspect
from typing import Any

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import PARSERS, SCORERS
from tarsier_eval.scoring.framework import POLICY_VALUES, Scorer, score_samples
from tarsier_eval.scoring.types import Prediction, ScoreContext, TaskScores
from tarsier_eval.task import Mechanism, TaskSpec


def parser_parameters(name: str) -> dict[str, Any]:
    """The options a registered parser takes, with their defaults."""
    params = inspect.signature(PARSERS.get(name)).parameters
    return {k: p.default for k, p in list(params.items())[2:] if p.kind is p.KEYWORD_ONLY}


def resolve_parser(spec: TaskSpec, scorer: Scorer) -> Mechanism | None:
    """The task's parser: the YAML's, else the scorer's default; a parser given to a scorer that reads none is an
    error (a YAML key that does nothing)."""
    if spec.parser is not None and scorer.default_parser is None:
        raise ConfigError(f"{spec.path}: scorer {spec.scorer.name if spec.scorer else '?'} reads no parser; "
                          f"remove 'parser: {spec.parser.name}'")  # fmt: skip
    if spec.parser is not None:
        return spec.parser
    return Mechanism(scorer.default_parser) if scorer.default_parser else None


def make_context(spec: TaskSpec, scorer: Scorer, options: dict[str, Any], judge: Any, seed: int) -> ScoreContext:
    """Scorer options (the scorer's defaults, then YAML, then `options`) split into scorer, status-policy and
    parser options; a key that none of them takes is a ConfigError naming the accepted ones."""
    assert spec.scorer is not None
    given = {**spec.scorer.options, **options}
    parser = resolve_parser(spec, scorer)
    parser_params = parser_parameters(parser.name) if parser else {}
    accepted = {*type(scorer).options, *POLICY_VALUES, *parser_params}
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise ConfigError(f"task {spec.name}: scorer {spec.scorer.name} takes no option {unknown} "
                          f"(accepted: {', '.join(sorted(accepted))})")  # fmt: skip
    parser_options = {**(parser.options if parser else {}), **{k: v for k, v in given.items() if k in parser_params}}
    return ScoreContext(
        options={**type(scorer).options, **{k: v for k, v in given.items() if k not in parser_params}},
        judge=judge,
        seed=seed,
        parser=PARSERS.get(parser.name) if parser else None,
        parser_options=parser_options,
    )


def score_task(
    spec: TaskSpec,
    samples: list[Sample],
    predictions: dict[str, Prediction],
    *,
    options: dict[str, Any] | None = None,
    judge: Any = None,
    seed: int = 0,
) -> TaskScores:
    """Score every sample of `spec`; options from the YAML are overridden by `options` (from the CLI)."""
    assert spec.scorer is not None
    scorer: Scorer = SCORERS.get(spec.scorer.name)()
    ctx = make_context(spec, scorer, options or {}, judge, seed)
    return score_samples(scorer, spec, samples, predictions, ctx)
