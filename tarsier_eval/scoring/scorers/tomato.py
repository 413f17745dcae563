"""TOMATO accuracy, as yale-nlp/TOMATO scores it (src/parse_result.py, src/get_categorized_score.py).

Per question: the official regex `pre_parser` (parser `tomato_regex`); if that finds no valid letter, the LLM
parser (judge `tomato_parse`, gpt-4o-mini officially) when a judge is configured, whose raw reply must be exactly
a choice letter; if still nothing, `random.choice(all_choices)`, here from an RNG seeded by (run seed, sample id)
so results are repeatable. Correct iff the parsed letter is the gold letter. Accuracy is micro over questions,
overall, per reasoning type (file) and per demonstration type.

Reported beside accuracy: how each answer was parsed (`parsed_rule`, `parsed_llm`, `parsed_random` in %), so the
parse-failure rate is visible; random-fallback samples have status "unparsed" but count, as officially.
Options: `llm_parse` (default true; false skips the judge even when one is configured). A question without a
model output is in no denominator (policy `missing: exclude`, official: the pipeline has no row for it;
`missing: wrong` counts it wrong).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
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
        parse_counts[r.detail.get("parse", r.status)] += 1
        if r.score is None:
            continue
        groups[s.subset].append(r.score)
        groups[f"demonstration:{s.meta['demonstration_type']}"].append(r.score)
        groups["overall"].append(r.score)
    metrics: Table = {name: {"accuracy": pct(mean(v))} for name, v in groups.items()}
    for method in ("rule", "llm", "random"):
        metrics["overall"][f"parsed_{method}"] = 100.0 * parse_counts[method] / (len(rows) or 1)
    return metrics


@SCORERS.register("tomato_accuracy")
class TomatoAccuracy(Scorer):
    default_parser = "tomato_regex"
    policy = StatusPolicy(missing="exclude")
    options: ClassVar[dict[str, Any]] = {"llm_parse": True}
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
        result = super().aggregate(rows, ctx)
        n_random = sum(r.detail.get("parse") == "random" for _, r in rows)
        result.notes.append(f"micro accuracy over {len(rows)} questions; {n_random} scored by the official random "
                            f"fallback (seed {ctx.seed})")  # fmt: skip
        if n_random and (ctx.judge is None or not ctx.option("llm_parse")):
            result.notes.append("no LLM parser used (no judge configured or llm_parse=false): regex -> random only")
        return result
