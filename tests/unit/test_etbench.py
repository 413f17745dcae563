"""E.T. Bench: loader on the official-schema fixture, every parsing rule of compute_metrics.py, and the official
per-source / per-task / merged scores on hand-worked predictions (see tests/fixtures/etbench/SOURCE.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.metrics import sentsim
from tarsier_eval.scoring.metrics.temporal import densevid_iou, iou_matrix
from tarsier_eval.scoring.parsers.etbench import parse_captions, parse_highlight, parse_spans, rule_option
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

FIXTURE = FIXTURES / "etbench"


@pytest.fixture(scope="module")
def etbench():
    spec = get_task("etbench")
    result = load_samples(spec, FIXTURE)
    assert result.issues == []
    return spec, result.samples


def test_loads_every_fixture_record(etbench):
    _spec, samples = etbench
    assert len(samples) == 16
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts == {"tvg": 3, "epm": 1, "tal": 1, "evs": 1, "vhd": 2, "dvc": 2, "slc": 1, "rar": 1, "eca": 1,
                      "rvq": 1, "tem": 1, "gvq": 1}  # fmt: skip
    first = samples[0]
    assert first.sample_id == "etbench/tvg/qvhighlights/0"
    assert first.video == "videos/qvhighlights/example.mp4" and first.media.kind == "video"
    assert first.source.file == "etbench_txt_v1.0.json" and first.source.pointer == "/0"
    assert first.prompt.startswith("You are given a video") and first.answer == [15.0, 31.0]
    prefixed = {s.subset for s in samples if s.response_prefix == "Best Option: ("}
    assert prefixed == {"rar", "eca", "rvq"}  # the reference inference's prefix; GVQ answers with a span too
    eca = next(s for s in samples if s.subset == "eca")
    assert eca.answer == 1 and eca.meta["o"][3] == [15, 20]


def test_official_path_and_task_filter(tmp_path):
    spec = get_task("etbench")
    target = tmp_path / "ETBench" / "annotations" / "etbench_txt_v1.0.json"
    target.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE / "etbench_txt_v1.0.json", target)
    result = load_samples(spec, tmp_path, options={"tasks": ["dvc", "slc"]})
    assert [s.subset for s in result.samples] == ["dvc", "dvc", "slc"]
    assert result.samples[0].source.file == "annotations/etbench_txt_v1.0.json"


def test_malformed_records_are_reported(tmp_path):
    records = json.loads((FIXTURE / "etbench_txt_v1.0.json").read_text())
    good = records[0]
    bad = [
        {**good, "task": "xyz"},
        {**good, "tgt": [[1.0, 2.0]]},  # TVG needs one span
        {**records[8], "g": ["only one caption"]},  # DVC: two spans, one caption
        {**records[11], "p": 4},  # RAR: no option E
        {**records[11], "o": ["a", "b", "c"]},  # the official scorer supports 4 or 5 options only
        dict(good),  # duplicate (task, source, idx)
        "not a record",
    ]
    root = tmp_path / "ETBench"
    root.mkdir()
    (root / "etbench_txt_v1.0.json").write_text(json.dumps([good, *bad]))
    result = load_samples(get_task("etbench"), tmp_path)
    assert len(result.samples) == 1
    pointers = [issue.pointer for issue in result.issues]
    assert pointers == ["/1", "/2", "/3", "/4", "/5", "/6", "/7"]
    assert "unknown task" in result.issues[0].message and "duplicate" in result.issues[5].message


@pytest.mark.parametrize(
    ("reply", "spans"),
    [
        ("The event happens in 15.0 - 31.0 seconds.", [[15.0, 31.0]]),
        ("0 - 10 seconds, 20 - 30 seconds", [[0.0, 10.0], [20.0, 30.0]]),
        ("12.5-3", [[3.0, 12.5]]),  # ordered start <= end
        ("From 5 to 10 seconds.", [[5.0, 10.0]]),  # "a to b" only when no "a - b"
        ("The event happens in 5 - 10 seconds and 2023 - 2024", [[5.0, 10.0], [2023.0, 2024.0]]),
        ("The event starts at 5.2 seconds.\nIt ends at 9 seconds.", [[5.2, 9.0]]),  # keyword sentences
        ("start: 3.5! end: 7", [[3.5, 7.0]]),  # sentences split on ! ? newline
        ("The event starts at 5 and ends at 10.", None),  # one sentence, one number: dropped
        ("It starts at 00:01:30 and ends at 00:02:00", None),
        ("5.0s - 10.0s", None),  # a unit between number and dash defeats the official pattern
        ("1..5 - 3", None),  # the official float() would crash
        ("", None),
        ("I don't know.", None),
    ],
)
def test_parse_spans_follows_tvg_format(reply, spans):
    assert parse_spans(reply) == spans


@pytest.mark.parametrize(
    ("reply", "second"),
    [("The highlight timestamp is 12.5 seconds.", 12.5), ("between 10 and 14", 10.0), ("-3", -3.0), (".5s", 0.5),
     ("no highlight", None)],
)  # fmt: skip
def test_parse_highlight_takes_the_first_number(reply, second):
    assert parse_highlight(reply) == second


@pytest.mark.parametrize(
    ("reply", "parsed"),
    [
        (
            "0.0 - 10.0 seconds, a man cuts an onion.\n10.0 - 20.0 seconds, he fries the onion.",
            ([[0.0, 10.0], [10.0, 20.0]], ["a man cuts an onion.", "he fries the onion."]),
        ),
        (  # text before the first timestamp shifts the captions by one (official)
            "Here are the events:\n0 - 5 seconds, a man walks.\n5 - 10 seconds, he sits.",
            ([[0.0, 5.0], [5.0, 10.0]], ["here are the events:", "a man walks."]),
        ),
        ("Start time: 1.0s, End time: 4.0s, Description: a dog runs.", ([[1.0, 4.0]], ["a dog runs."])),
        ("start time 1, end time 4, a dog runs", None),  # the official assert fails: unparsed
        ("At 1:30, the man jumps.", ([[70.0, 110.0]], ["At 1:30, the man jumps."])),  # m:ss -> +-20 s
        ("The man jumps at 5 seconds.", ([[5.0, 45.0]], ["."])),  # one number <= 20 -> [t, t + 40]
        ("I cannot tell.", None),
        ("", None),
    ],
)
def test_parse_captions_follows_dvc_format(reply, parsed):
    assert parse_captions(reply) == parsed


@pytest.mark.parametrize(
    ("reply", "paren", "index", "empty", "matched"),
    [
        ("(B) opening a fridge", True, 1, False, True),
        ("The answer is (c).", True, 2, False, True),
        ("B", True, 1, False, True),
        ("b.", True, 1, False, True),
        ("Best Option: D) pouring", True, 3, False, True),
        ("(E) foo", True, None, False, True),  # E is no option of 4: similarity fallback, not "Failed"
        ("I think A", True, None, False, True),  # "i" + space counts as a letter match (not in the map)
        ("opening a fridge", True, None, False, False),
        ("(", True, None, True, False),
        ("", True, None, True, False),
        ("(D) 12 - 18 seconds", False, 3, False, True),
        ("The answer is (D)", False, None, False, False),  # GVQ has no "(X)" search
    ],
)
def test_option_rules(reply, paren, index, empty, matched):
    rule = rule_option(reply, 4, paren_search=paren)
    assert (rule.index, rule.empty, rule.matched) == (index, empty, matched)


def test_iou_is_float32_like_the_official_tensors():
    iou = iou_matrix([[0.0, 10.0]], [[0.0, 7.0]])
    assert float(iou[0, 0]) < 0.7  # TVG compares the Python float: 0.69999999 misses 0.7
    assert iou[0, 0] >= iou.dtype.type(0.7)  # TAL compares tensors: float32(0.7) matches
    assert densevid_iou([12.0, 20.0], [10.0, 20.0]) == pytest.approx(0.8)
    assert densevid_iou([0.0, 10.0], [10.0, 20.0]) == 0.0


REPLIES = {
    "etbench/tvg/qvhighlights/0": "The event happens in 15 - 23 seconds.",  # IoU 8/16 = 0.5
    "etbench/tvg/qvhighlights/1": "It starts at 0 seconds.\nIt ends at 7 seconds.",  # IoU 0.7 in float32: 3 of 4
    "etbench/epm/ego4d_nlq/0": "from 35 to 45",  # IoU 5/15
    "etbench/tal/thumos14/0": "0 - 10 seconds, 50 - 60 seconds",  # P = R = 1/2 at every threshold
    "etbench/evs/summe/0": "0 - 5, 20 - 30",  # 10 TP, 5 FP, 5 FN seconds
    "etbench/vhd/qvhighlights/0": "The highlight timestamp is 14.5 seconds.",  # outside [10, 14]
    "etbench/vhd/youtube_highlights/0": "8.5",  # inside the second annotator's [8, 9]
    "etbench/dvc/youcook2/0": "0 - 10 seconds, a man cuts an onion.\n12 - 20 seconds, he fries the onion in a pan.",
    "etbench/dvc/youcook2/1": "I cannot tell.",
    "etbench/slc/coin/0": "Here are the steps:\n0 - 8 seconds, remove the tire.\n8 - 16 seconds, install the new tire.",
    "etbench/rar/perception_test/0": "opening the fridge door",  # similarity fallback
    "etbench/eca/charades_sta/0": "(B) 5.0 - 10.0 seconds",
    "etbench/rvq/star/0": "",
    "etbench/tem/perception_test/0": "The event happens in 9 - 13 seconds.",  # IoU 3/4 with [9, 12]
    "etbench/gvq/qa_ego4d/0": "(D) on the shelf, 12 - 15 seconds",  # correct; IoU 3/6
}  # etbench/tvg/charades_sta/0 has no prediction


@pytest.fixture(scope="module")
def scored(etbench):
    spec, samples = etbench
    preds = {k: Prediction(k, v) for k, v in REPLIES.items()}
    return score_task(spec, samples, preds)


def test_grounding_scores(scored):
    m = scored.metrics
    assert m["tvg/qvhighlights"]["f1@0.5"] == 100.0 and m["tvg/qvhighlights"]["f1@0.7"] == 0.0
    assert m["tvg/qvhighlights"]["f1"] == 75.0
    assert "tvg/charades_sta" not in m  # its only sample has no prediction: left out, as the official script
    assert m["tvg"]["f1"] == 75.0  # mean over sources
    assert m["tvg/qvhighlights"]["miou"] == pytest.approx(60.0, abs=1e-3)
    assert m["epm"]["f1"] == 50.0
    assert m["tal"]["f1"] == pytest.approx(50.0)
    assert m["evs"]["f1"] == pytest.approx(66.667)  # every group value rounded to 5 decimals (of 0-1), official
    assert m["vhd/qvhighlights"]["f1"] == 0.0 and m["vhd/youtube_highlights"]["f1"] == 100.0 and m["vhd"]["f1"] == 50
    overall = m["overall"]
    assert overall["gnd_f1"] == pytest.approx((75 + 50 + 50 + 66.667 + 50) / 5)
    assert overall["gnd_f1_sources"] == pytest.approx(100 * round((0.75 + 0.5 + 0.5 + 0.66667 + 0 + 1) / 6, 5))
    assert scored.headline_value == overall["gnd_f1"]


def test_missing_replies_can_count_as_empty(etbench):
    spec, samples = etbench
    preds = {k: Prediction(k, v) for k, v in REPLIES.items() if k.startswith("etbench/tvg/")}
    scores = score_task(spec, [s for s in samples if s.subset == "tvg"], preds, options={"missing": "as_empty"})
    assert scores.metrics["tvg/charades_sta"]["f1"] == 0.0 and scores.metrics["tvg"]["f1"] == 37.5
    assert scores.extra["failed"]["tvg/charades_sta"] == 1


def test_captioning_scores(scored):
    m = scored.metrics
    # youcook2: one of two replies parsed (scale 1/2); the parsed one has P = R = 1 at every tIoU (0.8 > 0.7)
    assert m["dvc"]["f1"] == pytest.approx(50.0) and m["dvc"]["precision"] == pytest.approx(50.0)
    assert m["dvc"]["sim"] == pytest.approx(100.0, abs=1e-3)  # Sim is not scaled: identical captions
    # coin: the preamble shifts the captions; detection is perfect, similarity is not
    assert m["slc"]["f1"] == pytest.approx(100.0)
    expected = sentsim.dot_scores(
        ["remove the tire", "install the new tire"], ["here are the steps", "remove the tire"]
    )
    assert m["slc"]["sim"] == pytest.approx(100 * sum(expected) / 2, abs=1e-3) and m["slc"]["sim"] < 90
    assert m["overall"]["cap_f1"] == pytest.approx(75.0)
    assert m["overall"]["cap_sim"] == pytest.approx((m["dvc"]["sim"] + m["slc"]["sim"]) / 2)
    # youcook2: both parsed captions equal their GT captions at every tIoU; CIDEr-D 10 per pair (every n-gram order
    # has a weight: no n-gram of a caption is in both references but "a" and "onion", whose idf is 0)
    yc = m["dvc/youcook2"]
    assert (yc["bleu1"], yc["bleu4"], yc["rouge_l"], yc["cider"]) == pytest.approx((100.0, 100.0, 100.0, 1000.0))
    assert "meteor" not in yc and any("METEOR not computed" in n for n in scored.notes)


def test_referring_and_complex_scores(scored):
    m = scored.metrics
    assert m["rar"]["accuracy"] == 100.0 and m["eca"]["accuracy"] == 100.0 and m["rvq"]["accuracy"] == 0.0
    assert m["overall"]["ref_acc"] == pytest.approx(200 / 3)
    assert m["tem"]["mrec"] == 100.0
    assert m["gvq"]["accuracy"] == 100.0 and m["gvq"]["mrec"] == 75.0
    assert m["overall"]["com_rec"] == 87.5


def test_sample_statuses(scored):
    by_id = {r.sample_id: r for r in scored.samples}
    assert len(scored.samples) == 16
    assert by_id["etbench/tvg/charades_sta/0"].status == "missing" and by_id["etbench/tvg/charades_sta/0"].score is None
    assert by_id["etbench/dvc/youcook2/1"].status == "unparsed"
    assert by_id["etbench/rvq/star/0"].status == "unparsed"  # empty reply
    rar = by_id["etbench/rar/perception_test/0"]  # chosen by similarity: correct, but an official "Failed"
    assert rar.status == "unparsed" and rar.score == 1.0 and rar.detail["method"] == "similarity"
    assert by_id["etbench/tvg/qvhighlights/1"].score == 0.75
    assert scored.extra["failed"]["dvc/youcook2"] == 1


def test_evs_leaves_unparsed_out_unless_asked(etbench):
    spec, samples = etbench
    evs = next(s for s in samples if s.subset == "evs")
    twin = replace(evs, sample_id="etbench/evs/summe/1")
    preds = {evs.sample_id: Prediction(evs.sample_id, "0 - 5, 20 - 30"), twin.sample_id: Prediction("x", "none")}
    official = score_task(spec, [evs, twin], preds)
    assert official.metrics["evs"]["f1"] == pytest.approx(66.667)
    assert official.metrics["overall"]["gnd_f1"] is None and any("not computed" in n for n in official.notes)
    fixed = score_task(spec, [evs, twin], preds, options={"evs_count_unparsed": True, "round_digits": None})
    assert fixed.metrics["evs"]["f1"] == pytest.approx(100 / 3)


def test_importing_the_scorer_loads_no_model():
    code = "import sys, tarsier_eval.scoring.scorers.etbench; print('sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_random_strings_follow_official_random_seed(etbench):
    spec, samples = etbench
    dvc = next(s for s in samples if s.subset == "dvc")
    preds = {dvc.sample_id: Prediction(dvc.sample_id, "0 - 10 seconds, a man cuts an onion.\n50 - 60 seconds, a dog.")}

    def sim(seed: int, **options: object) -> float:
        return score_task(spec, [dvc], preds, options=options, seed=seed).metrics["dvc"]["sim"]

    assert sim(5, official_random_seed=0) == sim(0) != sim(5)  # the second caption meets a random string
    with pytest.raises(ConfigError, match="official_random_seed"):
        sim(0, official_random_seed="zero")
