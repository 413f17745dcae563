"""OpenEQA LLM-Match, as facebookresearch/open-eqa evaluate-predictions.py + openeqa/evaluation/llm_match.py.

Per question (official):
- the prediction is cut after its LAST period when one is followed by more text ("Red. It is" -> "Red.";
  "3.5 meters" -> "3." too: the official rule, kept); an empty prediction is not cut and is still judged.
- the judge (judges/openeqa_llm_match.yaml; prompt mmbench.txt, or mmbench-extra.txt when the item has
  `extra_answers`) replies a mark read by `parse_mark`: the whole reply if it is all digits, else the integer
  after "Your mark:" up to the line end; anything else is unreadable (the official script crashes): here the
  question is `judge_failed` (no score, asked again next run). Option `parse: lenient` reads the first digit 1-5.
- a null prediction (here: an inference error) scores mark 0 without a judge call (policy `error: wrong`).
- score = 100 * (clip(mark, 1, 5) - 1) / 4; LLM-Match = mean over scored questions.
Aggregation: overall, per category (the sample subset) and per scene set (HM3D = hm3d-v0, ScanNet = scannet-v0).
Questions without a prediction: the official script refuses to run unless every question is answered and with
`--force` scores only the answered ones, so they are left out by default (policy `missing: exclude`;
`missing: wrong` counts them as a null answer, 0). Without a judge every answered question is "unjudged".
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import ConfigError
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.prompts import load_judge_spec, load_prompt
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import mean
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Table, Verdict
from tarsier_eval.scoring.types import ScoreContext

JUDGE = "openeqa_llm_match"
SCENE_SETS = {"hm3d-v0": "HM3D", "scannet-v0": "ScanNet"}
PARSE_MODES = ("official", "lenient")
_TAG = "Your mark:"
_LENIENT = re.compile(r"[1-5]")


def cut_after_last_period(prediction: str) -> str:
    """evaluate-predictions.py: drop everything after the last '.', when something follows it."""
    end = prediction.rfind(".")
    return prediction[: end + 1] if end >= 0 and end + 1 < len(prediction) else prediction


def parse_mark(text: str) -> int:
    """llm_match.py `parse_score`: all-digit reply, else the integer after "Your mark:" to the end of its line."""
    try:
        if text.isdigit():
            return int(text)
        start = text.find(_TAG)
        if start == -1:
            raise JudgeParseError(f"no mark in judge reply {text!r}")
        end = text.find("\n", start)
        return int((text[start:] if end == -1 else text[start:end]).replace(_TAG, "").strip())
    except ValueError as exc:
        raise JudgeParseError(f"unreadable mark in judge reply {text!r}") from exc


def parse_mark_lenient(text: str) -> int:
    """The official reading, else the first digit 1-5 anywhere in the reply."""
    try:
        return parse_mark(text)
    except JudgeParseError:
        found = _LENIENT.search(text)
        if found is None:
            raise
        return int(found.group())


def mark_to_score(mark: int) -> float:
    return 100.0 * (min(max(mark, 1), 5) - 1) / 4


def judge_request(sample: Sample, prediction: str, lenient: bool = False) -> JudgeRequest:
    spec = load_judge_spec(JUDGE)
    extra = sample.meta.get("extra_answers")
    template = load_prompt(spec["prompts"]["single" if extra is None else "extra"]).strip()
    content = template.format(
        question=sample.meta["question"], answer=sample.answer, prediction=prediction, extra_answers=extra
    )
    return JudgeRequest(
        sample.sample_id,
        [{"role": "user", "content": content}],
        dict(spec.get("params") or {}),
        parse_mark_lenient if lenient else parse_mark,
        spec.get("max_parse_attempts"),
    )


class MarkJudge(JudgedStage):
    desc = "openeqa"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        return [judge_request(sample, verdict.parsed, lenient=ctx.option("parse") == "lenient")]

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        mark = outcomes[0].value
        return Verdict(verdict.parsed, mark_to_score(mark), {"mark": mark, "judge_reply": outcomes[0].text})


def _llm_match(rows: list[Row], ctx: ScoreContext) -> Table:
    groups: dict[str, list[float]] = {"overall": []}
    for s, _ in rows:
        groups.setdefault(s.subset, [])
    for name in SCENE_SETS.values():
        groups[name] = []
    for s, r in rows:
        if r.score is None:
            continue
        for key in ("overall", s.subset, SCENE_SETS.get(s.meta.get("scene_set", ""))):
            if key is not None:
                groups[key].append(r.score)
    return {k: {"llm_match": mean(v) if ctx.judge is not None else None} for k, v in groups.items()}


@SCORERS.register("openeqa_llm_match")
class OpenEQALLMMatch(Scorer):
    policy = StatusPolicy(missing="exclude")
    options: ClassVar[dict[str, Any]] = {"parse": "official"}
    judged = MarkJudge()
    metrics = (_llm_match,)

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        if ctx.option("parse") not in PARSE_MODES:
            raise ConfigError(f"openeqa_llm_match: parse must be one of {PARSE_MODES}")
        return Verdict(cut_after_last_period(response) if response else response, None)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        result = super().aggregate(rows, ctx)
        result.extra["parse"] = ctx.option("parse")
        n_unjudged = sum(r.status == "unjudged" for _, r in rows)
        if n_unjudged:
            official = load_judge_spec(JUDGE)["official_model"]
            result.notes.append(f"{n_unjudged} questions unjudged: LLM-Match needs an LLM judge (official: {official})")
        if ctx.judge is not None:
            result.extra["judge_model"] = ctx.judge.model
        return result
