"""EventHallusion: yes/no QA accuracy and judged description accuracy, as the official `eval.py`.

QA: parser `eventhallusion_yes_no` (the reply, lower-cased and NOT stripped, starts with "yes" -> "Yes.", with
"no" -> "No.", else unmatched: wrong and unparsed). Accuracy per split and overall = micro over questions. Every
answer of a split has the same polarity (entire and misleading: all "No.", interleave: all "Yes."), so
`always_no_accuracy` (what answering "no" to everything scores) is reported beside each accuracy.
Description: the judge (judges/eventhallusion_desc.yaml) answers yes/no; accuracy = share of videos judged "yes"
per split and micro overall. An empty description is not judged and counts as not "yes" (as gpt4o_judge.py); a
failed judge call counts as not "yes" (official: empty judgement; policy `judge_failed: wrong`). Without a judge
the descriptions are "unjudged".
Unmatched rates (eval.py "Not matching rate"): `qa_unmatched_rate` = share of counted questions whose reply reads
neither yes nor no (a null reply included), `desc_unmatched_rate` = share of counted descriptions whose judgement
reads neither (official: every empty judgement, i.e. an empty or null description, a failed call or a blank reply,
is one of them).
A sample without a prediction is in no denominator (eval.py counts the videos and questions of its input file):
policy `missing: exclude`.
"""

from __future__ import annotations

from tarsier_eval.data.sample import Sample
from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.judges.prompts import load_judge_spec, load_prompt
from tarsier_eval.registry import SCORERS
from tarsier_eval.scoring.aggregate import pct, pct_by_group
from tarsier_eval.scoring.framework import Aggregate, JudgedStage, Row, Scorer, StatusPolicy, Verdict
from tarsier_eval.scoring.types import SampleResult, ScoreContext

JUDGE = "eventhallusion_desc"
NO_ANSWER = ("unparsed", "error", "judge_failed")


def extract_judgement(text: str) -> str | None:
    cleaned = text.replace("*", "").lower()
    return "yes" if cleaned.startswith("yes") else "no" if cleaned.startswith("no") else None


def judge_request(sample: Sample, description: str) -> JudgeRequest:
    spec = load_judge_spec(JUDGE)
    user = load_prompt(spec["prompts"][sample.subset]).format(description, sample.answer)
    messages = [
        {"role": "system", "content": load_prompt(spec["prompts"]["system"])},
        {"role": "user", "content": user},
    ]
    # asked once: gpt4o_judge.py keeps a blank reply (empty judgement: "not matching"), re-asks only on HTTP errors
    return JudgeRequest(sample.sample_id, messages, dict(spec.get("params") or {}), extract_judgement, 1)


def unmatched_rate(results: list[SampleResult]) -> float | None:
    """eval.py's "Not matching rate": the share of counted samples read as neither yes nor no."""
    counted = [r for r in results if r.score is not None]
    hits = sum(r.status in NO_ANSWER or bool(r.detail.get("unmatched")) for r in counted)
    return pct(hits / len(counted)) if counted else None


class DescriptionJudge(JudgedStage):
    desc = "eventhallusion descriptions"

    def requests(self, sample: Sample, response: str, verdict: Verdict, ctx: ScoreContext) -> list[JudgeRequest]:
        if sample.meta["kind"] != "desc" or not verdict.parsed_ok:
            return []
        return [judge_request(sample, response)]

    def apply(self, sample: Sample, verdict: Verdict, outcomes: list[JudgeOutcome], ctx: ScoreContext) -> Verdict:
        outcome = outcomes[0]
        detail = {"judgement": outcome.text, "unmatched": outcome.value is None}
        return Verdict(outcome.value, float(outcome.value == "yes"), detail)


@SCORERS.register("eventhallusion")
class EventHallusion(Scorer):
    default_parser = "eventhallusion_yes_no"
    policy = StatusPolicy(missing="exclude", judge_failed="wrong")
    judged = DescriptionJudge()

    def score_sample(self, sample: Sample, response: str, ctx: ScoreContext) -> Verdict:
        if sample.meta["kind"] == "desc":
            if not response:
                return Verdict(None, 0.0, {"judgement": ""}, parsed_ok=False)
            return Verdict(None, None)
        parsed = ctx.parse(response, sample)
        return Verdict(parsed.value, float(parsed.matches(sample.answer)), parsed_ok=parsed.ok)

    def aggregate(self, rows: list[Row], ctx: ScoreContext) -> Aggregate:
        qa = [(s, r) for s, r in rows if s.meta["kind"] == "qa"]
        desc = [r for s, r in rows if s.meta["kind"] == "desc"]
        qa_pairs = [(s.subset, r.score) for s, r in qa]
        no_pairs = [(s.subset, float(s.answer == "No.")) for s, _ in qa]
        desc_pairs = [(r.subset, r.score if ctx.judge else None) for r in desc]
        metrics: dict[str, dict[str, float | None]] = {n: {"accuracy": v} for n, v in pct_by_group(qa_pairs).items()}
        for group, key in ((no_pairs, "always_no_accuracy"), (desc_pairs, "desc_accuracy")):
            for name, value in pct_by_group(group).items():
                metrics.setdefault(name, {})[key] = value
        metrics["overall"] = {
            "accuracy": pct_by_group(("o", sc) for _, sc in qa_pairs).get("o"),
            "always_no_accuracy": pct_by_group(("o", sc) for _, sc in no_pairs).get("o"),
            "desc_accuracy": pct_by_group(("o", sc) for _, sc in desc_pairs).get("o"),
            "qa_unmatched_rate": unmatched_rate([r for _, r in qa]),
            "desc_unmatched_rate": unmatched_rate(desc) if ctx.judge else None,
        }
        notes = ["accuracy: yes/no QA, micro over questions; always_no_accuracy: the same if every answer were 'no'"]
        notes.append(f"desc_accuracy judged by {ctx.judge.model}" if ctx.judge else "no judge: descriptions unjudged")
        return Aggregate(metrics, notes)
