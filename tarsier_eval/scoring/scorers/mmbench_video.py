"""MMBench-Video judge score (0-3), as VLMEvalKit `MMBenchVideo.evaluate` + `get_dimension_rating`.

Each answer is sent to the judge (judges/mmbench_video.yaml, official prompts) and scored by the integer it
replies; a reply that is not a Python integer literal once stripped (asked once: VLMEvalKit does not ask again) and
a failed judge call score -1 (status judge_failed), as does a null prediction (status error).
VLMEvalKit reads the predictions back from the xlsx its inference wrote (option `xlsx_round_trip`, default true):
`""` and the strings pandas reads as NaN ("NaN", "None", "N/A", "null", ...: `NA_STRINGS`) are never sent to the
judge and score -1 (status unparsed); control characters reach the judge as `_xHHHH_`, cells are cut at 32,767
characters. `xlsx_round_trip: false` judges the reply as it is.
A question without a prediction is in no rating (it is not in VLMEvalKit's inference file): status missing,
left out (`missing: wrong` counts it as -1).
Aggregation: a question counts in every L3 dimension it lists and in every coarse group (CP, FP-S, FP-C, HL, LR,
AR, RR, CSR, TR, Perception, Reasoning, Overall) holding any of them. `score` = mean of max(s, 0) (VLMEvalKit
`*_all`: failures count 0), `score_valid` = mean over s >= 0 (`*_valid`). The headline is overall `score`
(coarse_all["Overall"]); VLMEvalKit rounds to 2 decimals when printing, here values are unrounded.
Without a judge every answered sample is "unjudged" and the scores are None.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from tarsier_eval.data.loaders.mmbench_video import MMV_DIMENSIONS, PERCEPTION, REASONING
from tarsier_eval.data.sample import Sample
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.prompts import load_judge_spec, load_prompt
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Table, Verdict
from tarsier_eval.scoring.types import SampleResult, ScoreContext

JUDGE = "mmbench_video"
_INT = re.compile(r"[+-]?(?:[1-9](?:_?[0-9])*|0+(?:_?0)*)")  # a decimal int literal of Python's grammar
COARSE = {
    **MMV_DIMENSIONS,
    "Perception": tuple(d for k in PERCEPTION for d in MMV_DIMENSIONS[k]),
    "Reasoning": tuple(d for k in REASONING for d in MMV_DIMENSIONS[k]),
    "Overall": tuple(d for dims in MMV_DIMENSIONS.values() for d in dims),
}
FAILED = ("missing", "error", "judge_failed", "unparsed")
# pandas `read_excel`'s default na_values (pandas._libs.parsers.STR_NA_VALUES, pandas 3.1): a cell equal to one
# of these is read as NaN.
NA_STRINGS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})  # fmt: skip
XLSX_MAX_CHARS = 32767
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def xlsx_read_back(text: str) -> str | None:
    """`text` as pandas reads it back from the xlsx VLMEvalKit writes (xlsxwriter, then `read_excel`): cut at
    32,767 characters, control characters but tab and newline as `_xHHHH_`, None where it reads NaN."""
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text[:XLSX_MAX_CHARS])
    return None if text in NA_STRINGS else text


def parse_judge_score(text: str) -> int:
    """The judge's integer as VLMEvalKit reads it: the stripped reply must be a Python integer literal (`"\n1"`
    -> 1, `"1_0"` -> 10; `"03"`, `"٣"`, `"2."` are not); anything else is a failed judgement (-1 officially).
    VLMEvalKit crashes on a reply that `eval`s to an int without being a decimal literal ("True", "1+1"); here
    those are failed judgements too."""
    stripped = text.strip()
    if not _INT.fullmatch(stripped):
        raise JudgeParseError(f"judge reply is not an integer: {text!r}")
    return int(stripped)


def _candidate(response: str, ctx: ScoreContext) -> str | None:
    """The answer the judge sees (None: not judged, as VLMEvalKit leaves a NaN prediction)."""
    return xlsx_read_back(response) if ctx.option("xlsx_round_trip") else response


class ScoreJudge(JudgedStage):
    desc = "mmbench_video"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        if not verdict.parsed_ok:
            return []
        spec = load_judge_spec(JUDGE)
        candidate = _candidate(response, ctx)
        user = load_prompt(spec["prompts"]["user"]).format(sample.meta["question"], sample.answer, candidate)
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
    policy = StatusPolicy(missing="exclude", judge_failed="wrong")
    options: ClassVar[dict[str, Any]] = {"xlsx_round_trip": True}
    judged = ScoreJudge()
    metrics = (rating,)

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        if _candidate(response, ctx) is None:
            return Verdict(-1, 0.0, {"judge_score": -1, "not_judged": "VLMEvalKit reads this answer as NaN"}, False)
        return Verdict(None, None)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        result.notes.append("score = VLMEvalKit coarse_all (failures count 0); score_valid = coarse_valid")
        return result
