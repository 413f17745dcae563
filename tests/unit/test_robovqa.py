"""RoboVQA: the notebook's QA parsing on the real task strings and BLEU-1..4 worked out by hand, under the notebook's
sacrebleu protocols and the MLCD-Embodied (nltk-style) protocol."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.data.loaders.robovqa import fetch_question_answer, split_question_answer
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.metrics.nltk_bleu import sentence_bleu
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.scorers.robovqa import embodied_bleus, reference_text, sentence_bleus
from tarsier_eval.scoring.types import Prediction

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "robovqa"


@pytest.fixture(scope="module")
def robovqa():
    spec = get_task("robovqa")
    return spec, load_samples(spec, FIXTURE).samples


def test_parser_reproduces_the_notebook_printout(shared_benchmarks):
    record = json.loads((FIXTURE / "robovqa_val.jsonl").read_text().splitlines()[1])
    shown = json.loads((shared_benchmarks / "RoboVQA" / "samples_secondary.json").read_text())
    printed = ["Task {} (type: {}): {} {}".format(*qa) for qa in fetch_question_answer(record["texts"])]
    assert printed == shown["display_text_output_example"]


def test_raw_texts_feature_parses_as_the_notebook(shared_benchmarks):
    texts = json.loads((shared_benchmarks / "RoboVQA" / "samples_secondary.json").read_text())
    qas = fetch_question_answer(texts["raw_texts_feature_partial"])
    assert len(qas) == 7
    assert qas[3] == (3, "<task:success:discrete:False>", "put packet on the table Q: satisfied?", "A: no")
    assert qas[6][3].startswith("A: 1- put packet on the table 2- ")


@pytest.mark.parametrize(
    ("body", "qa"),
    [("Q: x? <PRED>A: y\n</PRED>", ("Q: x?", "A: y")),
     ("a: lower <PRED>A: z</PRED>", ("", "a: lower A: z")),  # the first "A:" in any case splits
     ("the banana: ripe? A: yes", ("the banan", "a: ripe? A: yes")),  # "a:" inside a word splits too (official)
     ("no answer <PRED>here</PRED>", ("", "no answer <PRED>here</PRED>"))],  # no "A:": whole body, tags kept
)  # fmt: skip
def test_question_answer_split_rules(body, qa):
    assert split_question_answer(body) == qa


def test_loader_ids_subsets_and_issues(robovqa, tmp_path):
    _spec, samples = robovqa
    assert len(samples) == 14 and samples[0].sample_id == "robovqa/val-fixture-0/0"
    s = samples[4]
    assert s.subset == "planning:freeform" and s.answer == "A: put packet on the table"
    assert s.prompt == ("current goal is: please place all the chips on the counter and close the top drawer "
                        "Q: immediate next step?")  # fmt: skip
    assert s.media.kind == "frames" and s.media.path == "frames/val-fixture-0" and s.source.pointer == "/0/texts"
    assert {x.subset for x in samples} >= {"success:discrete", "affordance:discriminative:discrete"}
    (tmp_path / "robovqa_val.jsonl").write_text('{"id": "a"}\n{"id": "b", "texts": "no tasks"}\nnot json\n')
    result = load_samples(get_task("robovqa"), tmp_path)
    assert not result.samples and [i.pointer for i in result.issues] == ["/0", "/1/texts", "/2"]


def _expected(*precisions: float, bp: float = 1.0) -> float:
    return 100 * bp * math.prod(precisions) ** (1 / len(precisions))


def test_sentence_bleu_by_hand():
    got = sentence_bleus("put the packet on the table", "put packet on the table")
    assert got["bleu1"] == pytest.approx(_expected(5 / 6))
    assert got["bleu2"] == pytest.approx(_expected(5 / 6, 3 / 5))
    assert got["bleu4"] == pytest.approx(_expected(5 / 6, 3 / 5, 2 / 4, 1 / 3))
    short = sentence_bleus("put packet", "put packet on the table")  # effective order 2, brevity penalty
    assert short["bleu4"] == pytest.approx(_expected(1, 1, bp=math.exp(1 - 5 / 2)))
    smoothed = sentence_bleus("put packet the table on", "put packet on the table")  # exp smoothing of 0 counts
    assert smoothed["bleu4"] == pytest.approx(_expected(1, 2 / 4, 1 / (2 * 3), 1 / (4 * 2)))
    assert sentence_bleus("no", "no") == pytest.approx({"bleu1": 100.0, "bleu2": 100.0, "bleu3": 100.0, "bleu4": 100.0})
    assert sentence_bleus("yes", "no")["bleu1"] == 0.0 and sentence_bleus("", "no")["bleu1"] == 0.0
    assert sentence_bleus("Put packet", "put packet")["bleu1"] == pytest.approx(50.0)
    assert sentence_bleus("Put packet", "put packet", lowercase=True)["bleu1"] == pytest.approx(100.0)
    assert reference_text("A: no") == "no" and reference_text("A: no", keep_prefix=True) == "A: no"


def test_scores_by_task_type(robovqa):
    spec, samples = robovqa
    replies = ["yes", "put the packet on the table", "put packet", "yes", "Put packet on the table",
               "  put packet the table on\n"]  # fmt: skip
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(samples, replies, strict=False)}
    preds[samples[6].sample_id] = Prediction(samples[6].sample_id, None, "decode error")  # clip 1: no predictions
    scores = score_task(spec, samples, preds, options={"keep_answer_prefix": False})
    b4 = [100.0, _expected(5 / 6, 3 / 5, 2 / 4, 1 / 3), _expected(1, 1, bp=math.exp(-1.5)), 0.0,
          _expected(4 / 5, 3 / 4, 2 / 3, 1 / 2), _expected(1, 2 / 4, 1 / 6, 1 / 8)]  # fmt: skip
    assert scores.metrics["overall"]["bleu4"] == pytest.approx(sum(b4) / 14)
    assert scores.headline_value == scores.metrics["overall"]["bleu4"]
    b1 = [100.0, 100 * 5 / 6, 100 * math.exp(-1.5), 0.0, 80.0, 100.0]
    assert scores.metrics["overall"]["bleu1"] == pytest.approx(sum(b1) / 14)
    assert scores.metrics["future_prediction:freeform"]["bleu4"] == pytest.approx(b4[1] / 2)
    assert scores.metrics["success:discrete"]["bleu1"] == 0.0
    m = scores.metrics["planning:freeform"]
    assert m["bleu_mean"] == pytest.approx(sum(m[f"bleu{n}"] for n in (1, 2, 3, 4)) / 4)
    statuses = [r.status for r in scores.samples]
    assert statuses == ["ok"] * 6 + ["error"] + ["missing"] * 7
    assert scores.samples[5].parsed == "put packet the table on"
    kept = score_task(spec, samples, preds)  # official: the reference keeps the notebook's "A: "
    assert kept.samples[0].detail["bleu1"] == pytest.approx(100 * math.exp(1 - 3 / 1))  # "yes" vs "A: yes"


def test_nltk_sentence_bleu_by_hand():
    ref, hyp = ["put", "packet", "on", "the", "table"], ["put", "the", "packet", "on", "the", "table"]
    assert sentence_bleu([ref], hyp, (1, 0, 0, 0)) == pytest.approx(5 / 6)
    assert sentence_bleu([ref], hyp, (0.5, 0.5, 0, 0)) == pytest.approx((5 / 6 * 3 / 5) ** 0.5)
    assert sentence_bleu([ref], ["table", "the"], (1, 0, 0, 0)) == pytest.approx(math.exp(1 - 5 / 2))
    no_bigram = sentence_bleu([ref], ["table", "put"], (0.5, 0.5, 0, 0))  # no smoothing: ~0, not exactly 0
    assert 0 < no_bigram < 1e-150
    assert sentence_bleu([ref], ["table", "put"], (1, 0, 0, 0)) == pytest.approx(math.exp(1 - 5 / 2))
    assert sentence_bleu([ref], ["nothing"], (1, 0, 0, 0)) == 0.0
    assert sentence_bleu([["a", "b", "c"]], ["a", "b", "c"], (0.33, 0.33, 0.33, 0)) == pytest.approx(
        math.exp(-0.01 * 0)
    )


@pytest.mark.parametrize(
    ("reply", "answer", "b1", "b4"),
    [
        ("Nothing.", "A: no", 0.0, 0.0),  # "nothing." -> "no." : one token, not "no"
        ("nothing", "A: no", 100.0, 100.0),  # every word containing "no" becomes "no"
        ("I don't know", "A: no", 100 / 3, 100 / 3),  # "know" -> "no"; reference length 1: BLEU-1 weights
        ("I don't know", "A: yes", 0.0, 0.0),
        ("Here is the plan:\nput packet on the table", "A: put packet on the table", 100.0, 100.0),  # last line
        ("PUT PACKET ON THE TABLE", "A: put packet on the table", 100.0, 100.0),  # lower-cased
    ],
)
def test_embodied_bleu_rules(reply, answer, b1, b4):
    got = embodied_bleus(reply, answer)
    assert got["bleu1"] == pytest.approx(b1) and got["bleu4"] == pytest.approx(b4, abs=1e-9)


def test_embodied_protocol_leaves_missing_answers_out(robovqa):
    spec, samples = robovqa
    paper, resolved = protocols.apply(spec, "paper")
    assert resolved.name == "embodied-bleu"
    preds = {s.sample_id: Prediction(s.sample_id, s.answer.replace("A: ", "")) for s in samples[:3]}
    scores = score_task(paper, samples, preds)
    assert [r.status for r in scores.samples[:4]] == ["ok", "ok", "ok", "missing"]
    assert scores.samples[3].score is None
    assert scores.metrics["overall"]["bleu4"] == pytest.approx(100.0)  # 3 perfect answers, the rest left out
