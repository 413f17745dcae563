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
def parse_mlvu(response: str, sample: Sample, *, strip: bool = False) -> Parsed:
    """The reply through check_ans as the official template passes it: NOT stripped (`pred=run(...)` goes straight
    to check_ans), so "  C" and "B\n" are wrong; `strip: true` strips it first, as the repository's Video-LLaVA copy
    of the script does. Unparsed unless a single character was compared."""
    correct, compared = mlvu_check_ans(response.strip() if strip else response, str(sample.answer))
    return Parsed(compared, "rule" if len(compared) == 1 else "none", correct)
