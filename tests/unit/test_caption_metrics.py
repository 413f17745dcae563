"""E.T. Bench's caption metrics: pycocoevalcap-equivalent BLEU / ROUGE-L / CIDEr-D worked out by hand, and DVCEval's
pairing of unmatched predictions with the official random strings (the official conformance fixture checks the
official values themselves: tests/fixtures/conformance/etbench/official)."""

from __future__ import annotations

import math
import random
import shutil

import pytest

from tarsier_eval.scoring.metrics import coco_caption, dvc_eval
from tarsier_eval.scoring.metrics.meteor import find_jar


def test_bleu_keeps_the_tiny_and_small_constants():
    refs, hyps = {0: ["a b c d"]}, {0: "a b c"}
    penalty = math.exp(1 - 4 / 3)  # hypothesis 3 words, closest reference 4
    b1, b2, b3, b4 = coco_caption.bleu(refs, hyps)
    assert b1 == pytest.approx(penalty) and b2 == pytest.approx(penalty) and b3 == pytest.approx(penalty)
    assert b4 == pytest.approx(penalty * (1e-15 / 1e-9) ** 0.25)  # no 4-gram: (0 + 1e-15) / (0 + 1e-9)
    assert coco_caption.bleu({0: ["x y"], 1: ["a b c d"]}, {0: "x y", 1: "a b"})[0] == pytest.approx(
        math.exp(1 - 6 / 4)
    )  # corpus counts: every hypothesis word matches; 4 words against 6


def test_rouge_l():
    lcs_p, lcs_r = 3 / 3, 3 / 5  # "a b c" in "a x b c d"
    expected = (1 + 1.2**2) * lcs_p * lcs_r / (lcs_r + 1.2**2 * lcs_p)
    assert coco_caption.rouge_l({0: ["a x b c d"]}, {0: "a b c"}) == pytest.approx(expected)
    assert coco_caption.rouge_l({0: ["a b"], 1: ["c"]}, {0: "z", 1: "c"}) == pytest.approx(0.5)


def test_cider_d():
    # one key: every n-gram is in all (1) reference sets, idf 0, score 0
    assert coco_caption.cider_d({0: ["a b"]}, {0: "a b"}) == 0.0
    # two keys, nothing shared: unigrams and bigrams score cosine 1, tri/4-grams are empty: mean 0.5 x 10
    assert coco_caption.cider_d({0: ["a b"], 1: ["c d"]}, {0: "a b", 1: "c d"}) == pytest.approx(5.0)
    # "a b" vs "a b c": unigram cosine 2/sqrt(6), bigram 1/sqrt(2); the Gaussian length penalty counts BIGRAMS
    # (1 vs 2: exp(-1 / 72)); "x y" scores 5 as above
    first = (2 / math.sqrt(6) + 1 / math.sqrt(2)) * math.exp(-1 / 72) / 4 * 10
    score = coco_caption.cider_d({0: ["a b c"], 1: ["x y"]}, {0: "a b", 1: "x y"})
    assert score == pytest.approx((first + 5.0) / 2)


def test_unmatched_predictions_draw_the_official_random_strings():
    """With random.seed(0), the official run (fixture clean set, dvc/youcook2) paired its one unmatched prediction
    with these four strings at tIoU 0.1, 0.3, 0.5, 0.7 (tests/fixtures/conformance/etbench/official/SOURCE.md)."""
    video = dvc_eval.Video([[0.0, 10.0]], ["a man cuts an onion"], [[50.0, 60.0]], ["a dog barks"])
    seen: list[str] = []

    def similarity(refs, hyps):
        seen.extend(refs)
        return [0.5] * len(refs)

    out = dvc_eval.evaluate([video], random.Random(0), similarity)
    assert seen == ["ynbiqpmzjplsgqej", "ydtzirwztejd", "vkprdlnktug", "poqibzracxmwzvuatp"]
    assert out["sim"] == [0.5] * 4 and out["precision"] == [0.0] * 4 and "meteor" not in out


def test_meteor_needs_a_jar_and_a_jre(tmp_path):
    assert find_jar(None) is None and find_jar(tmp_path / "missing.jar") is None
    if shutil.which("java") is None:
        jar = tmp_path / "meteor-1.5.jar"
        jar.write_bytes(b"")
        assert find_jar(jar) is None  # no JRE: METEOR is not computed, whatever the jar
