"""TOMATO accuracy, as yale-nlp/TOMATO scores it (src/parse_result.py, src/get_categorized_score.py).

Per question: the official regex `pre_parser` (parser `tomato_regex`); if that finds no valid letter, the LLM
parser (judge `tomato_parse`, gpt-4o-mini officially) when a judge is configured, whose raw reply must be exactly
a choice letter; if still nothing, `random.choice(all_choices)`, here from an RNG seeded by (run seed, sample id)
so results are repeatable. Correct iff the parsed letter is the gold letter. Accuracy is micro over questions,
overall, per reasoning type (file) and per demonstration type.

Reported beside accuracy: how each answer was parsed (`parsed_rule`, `parsed_llm`, `parsed_random`, in % of the
questions that have a model output), so the parse-failure rate is visible; random-fallback samples have status
"unparsed" but count, as officially. A question without a model output is in no denominator (policy
`missing: exclude`, official: the pipeline has no row for it; `missing: wrong` counts it wrong).
Options: `llm_parse` (default true; false skips the judge even when one is configured);
`official_random_seed` (default None): the random fallbacks are drawn the way `random.seed(S);
parse_result.main()` draws them, one `random.choice(all_choices)` per fallback from one RNG, in the order the
official run meets them: result folders `<reasoning type>+<demonstration type>` in `official_file_order` (what
`os.listdir("results")` returned there: file-system order, not portable; default sorted), then questions in
annotation order. With that seed and order the official parsed letters are reproduced exactly; an unseeded
official run cannot be.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.prompts import load_judge_spec, load_prompt
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean, pct
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Table, Verdict
from tarsier_eval.scoring.random_fallback import random_choice
from tarsier_eval.scoring.types import ScoreContext

JUDGE = "tomato_parse"


def _letter_parser(all_choices: list[str]):
    def parse(text: str) -> str:
        if text not in all_choices:  # the official check is exact: no stripping, no case folding
            raise JudgeParseError(f"not one of {all_choices}: {text!r}")
        return text

    return parse


def _verdict(sample: Sample, letter: str, method: str) -> Verdict:
    return Verdict(letter, float(letter == sample.answer), {"parse": method})


class LLMParse(JudgedStage):
    """The official LLM answer extraction for replies the regex could not read."""

    desc = "tomato parse"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        if verdict.detail.get("parse") != "random" or not ctx.option("llm_parse"):
            return []
        spec = load_judge_spec(JUDGE)
        prompt = load_prompt(spec["prompts"]["parse"]).format(
            response=response, all_choices=sample.meta["all_choices"],
            index2ans=sample.meta["index2ans"],
        )  # fmt: skip
        messages = [{"role": "user", "content": prompt}]
        parse = _letter_parser(sample.meta["all_choices"])
        return [JudgeRequest(f"{JUDGE}/{sample.sample_id}", messages, dict(spec.get("params", {})), parse)]

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        return _verdict(sample, outcomes[0].value, "llm")

    def fallback(self, sample: Sample, verdict: Verdict, error: str | None, ctx: ScoreContext) -> Verdict:
        return verdict  # the random letter drawn when the regex failed


def _groups(rows: list[Row], ctx: ScoreContext) -> Table:
    groups: dict[str, list[float]] = defaultdict(list)
    groups["overall"] = []
    parse_counts: dict[str, int] = defaultdict(int)
    for s, r in rows:
        if r.status not in ("missing", "error"):
            parse_counts[r.detail.get("parse", r.status)] += 1
        if r.score is None:
            continue
        groups[s.subset].append(r.score)
        groups[f"demonstration:{s.meta['demonstration_type']}"].append(r.score)
        groups["overall"].append(r.score)
    metrics: Table = {name: {"accuracy": pct(mean(v))} for name, v in groups.items()}
    answered = sum(parse_counts.values())
    for method in ("rule", "llm", "random"):
        metrics["overall"][f"parsed_{method}"] = pct(parse_counts[method] / answered) if answered else None
    return metrics


def file_order(option: Any, rows: list[Row]) -> list[str]:
    """The official result folders (`<reasoning type>+<demonstration type>`, an optional `shuffle_` prefix dropped)
    in the order given (a list, or a string of names separated by spaces, commas or semicolons); default sorted."""
    present = {folder_of(s) for s, r in rows if r.status != "missing"}  # the folders the official run would have
    if option is None:
        return sorted(present)
    names = option if isinstance(option, list) else str(option).replace(";", " ").replace(",", " ").split()
    order = [str(n).removeprefix("shuffle_").rstrip("/") for n in names]
    absent = sorted(present - set(order))
    if absent:
        raise ConfigError(f"tomato: official_file_order lacks the result folders {absent}")
    return order


def folder_of(sample: Sample) -> str:
    return f"{sample.subset}+{sample.meta['demonstration_type']}"


def official_draws(rows: list[Row], ctx: ScoreContext) -> None:
    """Redraw every random fallback as `random.seed(S)` then the official parse loop would (module docstring)."""
    order = {name: i for i, name in enumerate(file_order(ctx.option("official_file_order"), rows))}
    fallbacks = [(order[folder_of(s)], i, s, r) for i, (s, r) in enumerate(rows) if r.detail.get("parse") == "random"]
    rng = random.Random(ctx.option("official_random_seed"))
    for _, _, sample, result in sorted(fallbacks, key=lambda f: f[:2]):
        letter = rng.choice(sample.meta["all_choices"])
        result.parsed, result.score = letter, float(letter == sample.answer)
        result.detail["random_letter"] = letter


@SCORERS.register("tomato_accuracy")
class TomatoAccuracy(Scorer):
    default_parser = "tomato_regex"
    policy = StatusPolicy(missing="exclude")
    options: ClassVar[dict[str, Any]] = {"llm_parse": True, "official_random_seed": None, "official_file_order": None}
    judged = LLMParse()
    metrics = (_groups,)

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        parsed = ctx.parse(response, sample)
        if parsed.ok:
            return _verdict(sample, parsed.value, "rule")
        drawn = random_choice(sample, sample.meta["all_choices"], ctx)
        drawn.detail["parse"] = "random"
        return drawn

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        """Metrics after the random fallbacks are final: with `official_random_seed` they are redrawn here, once
        every LLM-parse outcome is known, in the official order."""
        seeded = ctx.option("official_random_seed") is not None
        if seeded and ctx.option("unparsed", "count") == "count":  # otherwise the draws count for nothing
            official_draws(rows, ctx)
        result = super().aggregate(rows, ctx)
        n_random = sum(r.detail.get("parse") == "random" for _, r in rows)
        n_scored = sum(r.score is not None for _, r in rows)
        how = (f"one RNG seeded {ctx.option('official_random_seed')} in the official file order" if seeded
               else f"per-question RNGs from seed {ctx.seed}; official draws are unseeded")  # fmt: skip
        result.notes.append(f"micro accuracy over {n_scored} answered questions; {n_random} scored by the official "
                            f"random fallback ({how})")  # fmt: skip
        if n_random and (ctx.judge is None or not ctx.option("llm_parse")):
            result.notes.append(f"WARNING: no LLM parser (no judge configured or llm_parse=false): {n_random} replies "
                                "the official pipeline sends to GPT-4o-mini were scored by RANDOM choice; accuracy is "
                                "not comparable to official TOMATO numbers (configure --judge-base-url/--judge-model)")  # fmt: skip
        return result
