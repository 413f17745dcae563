"""MMBench-Video judge score (0-3), as VLMEvalKit `MMBenchVideo.evaluate` + `get_dimension_rating`.

Each answer is sent to the judge (judges/mmbench_video.yaml, official prompts) and scored by the integer it
replies; a reply that is not an integer literal (asked once: VLMEvalKit does not ask again), a failed judge call
and a missing prediction score -1 (statuses judge_failed / missing / error).
Aggregation: a question counts in every L3 dimension it lists and in every coarse group (CP, FP-S, FP-C, HL, LR,
AR, RR, CSR, TR, Perception, Reasoning, Overall) holding any of them. `score` = mean of max(s, 0) (VLMEvalKit
`*_all`: failures count 0), `score_valid` = mean over s >= 0 (`*_valid`). The headline is overall `score`
(coarse_all["Overall"]); VLMEvalKit rounds to 2 decimals when printing, here values are unrounded.
Without a judge every answered sample is "unjudged" and the scores are None.
"""

from __future__ import annotations

import re

from tarsier_eval.data.loaders.mmbench_video import MMV_DIMENSIONS, PERCEPTION, REASONING
from tarsier_eval.data.sample import Sample
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.prompts import load_judge_spec, load_prompt
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Table, Verdict
from tarsier_eval.scoring.types import SampleResult, ScoreContext

JUDGE = "mmbench_video"
_INT = re.compile(r"^[ \t]*[+-]?\d+\s*$")
COARSE = {
    **MMV_DIMENSIONS,
    "Perception": tuple(d for k in PERCEPTION for d in MMV_DIMENSIONS[k]),
    "Reasoning": tuple(d for k in REASONING for d in MMV_DIMENSIONS[k]),
    "Overall": tuple(d for dims in MMV_DIMENSIONS.values() for d in dims),
}
FAILED = ("missing", "error", "judge_failed")


def parse_judge_score(text: str) -> int:
    """The judge's integer (VLMEvalKit `istype(x, int)`); anything else is a failed judgement (-1 officially)."""
    if not _INT.match(text):
        raise JudgeParseError(f"judge reply is not an integer: {text!r}")
    return int(text)


class ScoreJudge(JudgedStage):
    desc = "mmbench_video"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        spec = load_judge_spec(JUDGE)
        user = load_prompt(spec["prompts"]["user"]).format(sample.meta["question"], sample.answer, response)
        messages = [
            {"role": "system", "content": load_prompt(spec["prompts"]["system"])},
            {"role": "user", "content": user},
        ]
        return [JudgeRequest(sample.sample_id, messages, dict(spec.get("params") or {}), parse_judge_score, 1)]

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        value = outcomes[0].value
        return Verdict(value, float(max(value, 0)), {"judge_score": value, "judge_reply": outcomes[0].text})


def raw_score(result: SampleResult) -> int | None:
    """The VLMEvalKit score of a sample: the judge's integer, -1 for a failure that counts, None when left out."""
    if result.status == "ok":
        return result.parsed
    return -1 if result.status in FAILED and result.score is not None else None


def rating(rows: list[Row], ctx: ScoreContext) -> Table:
    """`{group: {score, score_valid}}` for coarse groups and "dim=<L3>"; samples without a raw score are skipped."""
    if ctx.judge is None:
        return {"overall": {"score": None, "score_valid": None}}
    raw = [(set(s.meta["dimensions"]), raw_score(r)) for s, r in rows]
    groups = {**{k: set(v) for k, v in COARSE.items()}, **{f"dim={d}": {d} for k in MMV_DIMENSIONS for d in COARSE[k]}}
    table: Table = {}
    for name, members in groups.items():
        values = [v for dims, v in raw if v is not None and members & dims]
        table[name] = {"score": mean(max(v, 0) for v in values), "score_valid": mean(v for v in values if v >= 0)}
    table["overall"] = table.pop("Overall")
    return table


@SCORERS.register("mmbench_video_judge")
class MMBenchVideoJudge(Scorer):
    policy = StatusPolicy(judge_failed="wrong")
    judged = ScoreJudge()
    metrics = (rating,)

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        return Verdict(None, None)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        result.notes.append("score = VLMEvalKit coarse_all (failures count 0); score_valid = coarse_valid")
        return result
