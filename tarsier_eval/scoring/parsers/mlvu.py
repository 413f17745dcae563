"""MLVU's official `check_ans` (evaluation/multiple_choice_evaluation/choice_bench.py)."""

from __future__ import annotations

from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed


def mlvu_check_ans(pred: str, gt_option: str) -> tuple[bool, str]:
    """(correct, the text compared): when the reply contains ")", the single character just before the first ")"
    (else the whole reply), equal to the gold option letter exactly (case-sensitive: "a)" and "A." are wrong)."""
    if ")" in pred:
        cut = pred.index(")")
        pred = pred[cut - 1 : cut] if cut > 0 else ""
    return pred == gt_option, pred


@PARSERS.register("mlvu_check_ans")
def parse_mlvu(response: str, sample: Sample) -> Parsed:
    """The stripped reply through check_ans; unparsed unless a single character was compared."""
    correct, compared = mlvu_check_ans(response.strip(), str(sample.answer))
    return Parsed(compared, "rule" if len(compared) == 1 else "none", correct)
