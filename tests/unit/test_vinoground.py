"""Vinoground: loader on official-schema fixtures (real captions) and the official pair scoring, quirks included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.files import sha256_file
from tarsier_eval.data.load import load_samples
from tarsier_eval.data.sample import Media, Sample, SourceRef
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.first_char import parse_vinoground
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tests.support.conformance_data import built_root

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "vinoground"


@pytest.fixture(scope="module")
def vinoground():
    spec = get_task("vinoground")
    result = load_samples(spec, FIXTURE)
    assert result.issues == []
    return spec, result.samples


def test_loads_pairs_by_position(vinoground):
    _spec, samples = vinoground
    assert len(samples) == 28
    first = samples[0]
    assert first.sample_id == "vinoground/text/0_pos" and first.video == "vinoground_videos/0_pos.mp4"
    assert first.prompt.startswith("Which caption best describes this video?\nA. a toddler plays")
    assert first.prompt.endswith("Answer with the option's letter from the given choices directly.")
    assert first.source.file == "vinoground_textscore.json" and first.source.pointer == "/0"
    assert first.meta == {"kind": "text", "pair": 0, "role": "pos", "categories": ["all", "action"]}
    video = next(s for s in samples if s.sample_id == "vinoground/video/94_neg")
    assert video.meta["pair"] == 2 and video.meta["categories"] == ["all", "action", "cyclical"]
    assert video.source.pointer == "/5"


@pytest.mark.parametrize(
    ("reply", "gt", "ok"),
    [("A", "A", True), ("a", "A", True), ("A. caption", "A", True), ("B", "A", False), ("(A)", "A", False),
     ("**A**", "A", False), ("The answer is A", "A", False), (" A", "A", False), ("", "A", False)],
)  # fmt: skip
def test_first_character_rule(reply, gt, ok):
    sample = Sample("v/1", "vinoground", "text", Media("x.mp4"), "q", gt, SourceRef("f", "/0"))
    assert parse_vinoground(reply, sample).correct is ok


def _flip(letter: str) -> str:
    return "B" if letter == "A" else "A"


PLAN = {
    # idx: (text pos, text neg, video pos, video neg); "ok" / "wrong" / literal-format / None = missing
    "0": ("ok", "lower", "ok", "dot"),
    "22": ("paren", "ok", "ok", "ok"),
    "94": (None, "ok", "ok", "ok"),  # missing text reply aborts the pair: video credit lost (official)
    "119": ("ok", "ok", "bold", "ok"),
    "122": ("answer_is", None, "ok", "ok"),  # text pos wrong: short-circuit, the missing neg is never looked up
    "326": ("space", "ok", "ok", "ok"),
    "473": ("lower", "lower", "lower", "lower"),
}


def _reply(style: str, gt: str) -> str:
    return {"ok": gt, "lower": gt.lower(), "dot": f"{gt}.", "paren": f"({gt})", "bold": f"**{gt}**",
            "answer_is": f"The answer is {gt}", "space": f" {gt}", "wrong": _flip(gt)}[style]  # fmt: skip


def test_official_pair_scores(vinoground):
    spec, samples = vinoground
    by_id = {s.sample_id: s for s in samples}
    preds = {}
    for idx, styles in PLAN.items():
        for (kind, role), style in zip(
            [("text", "pos"), ("text", "neg"), ("video", "pos"), ("video", "neg")], styles, strict=True
        ):
            sid = f"vinoground/{kind}/{idx}_{role}"
            if style is not None:
                preds[sid] = Prediction(sid, _reply(style, by_id[sid].answer))
    scores = score_task(spec, samples, preds)
    m = scores.metrics
    # text ok: pairs 0, 119, 473; video ok: 0, 22, 122, 326, 473 (94 aborted, 119 bold); group: 0, 473
    assert m["overall"]["text_score"] == pytest.approx(100 * 3 / 7)
    assert m["overall"]["video_score"] == pytest.approx(100 * 5 / 7)
    assert m["overall"]["group_score"] == pytest.approx(100 * 2 / 7)
    # action = pairs 0, 94, 122, 473
    assert m["action"] == pytest.approx({"text_score": 50.0, "video_score": 75.0, "group_score": 50.0})
    assert m["cyclical"] == {"text_score": 0.0, "video_score": 0.0, "group_score": 0.0}
    assert m["object"]["text_score"] == pytest.approx(50.0)  # 22 wrong, 119 right
    assert scores.counts()["n_missing"] == 2 and scores.counts()["n"] == 28
    fixed = score_task(spec, samples, preds, options={"missing_aborts_pair": False})
    assert fixed.metrics["overall"]["video_score"] == pytest.approx(100 * 6 / 7)
    assert fixed.metrics["overall"]["text_score"] == pytest.approx(100 * 3 / 7)


def test_broken_pair_is_a_load_issue(tmp_path):
    for name in ("vinoground.csv", "vinoground_videoscore.json"):
        (tmp_path / name).write_text((FIXTURE / name).read_text())
    items = json.loads((FIXTURE / "vinoground_textscore.json").read_text())
    items[3]["idx"] = "23_neg"
    (tmp_path / "vinoground_textscore.json").write_text(json.dumps(items))
    result = load_samples(get_task("vinoground"), tmp_path)
    assert len(result.samples) == 26
    assert len(result.issues) == 1 and "vinoground_textscore.json#/2" in str(result.issues[0])


def test_empty_reply_aborts_its_pair_officially(vinoground):
    """get_score_all.py reads `response[0]` of the saved string: an empty text reply raises inside the pair's try,
    so the pair keeps its place in every denominator and loses its video credit; lmms-eval has no abort."""
    spec, samples = vinoground
    preds = {s.sample_id: Prediction(s.sample_id, s.answer) for s in samples}
    preds["vinoground/text/0_pos"] = Prediction("vinoground/text/0_pos", "")
    official = score_task(spec, samples, preds)
    by_id = {r.sample_id: r for r in official.samples}
    assert by_id["vinoground/text/0_pos"].status == "unparsed" and by_id["vinoground/text/0_pos"].score is None
    assert official.metrics["overall"]["video_score"] == pytest.approx(100 * 6 / 7)
    assert official.metrics["overall"]["text_score"] == pytest.approx(100 * 6 / 7)
    lenient, _ = protocols.apply(spec, "lmms-eval")
    scored = score_task(lenient, samples, preds)
    assert scored.metrics["overall"]["video_score"] == 100.0
    assert {r.sample_id: r.score for r in scored.samples}["vinoground/text/0_pos"] == 0.0


def test_lmms_eval_conformance_tree_is_rebuilt_byte_for_byte():
    """The 500-pair tree of the lmms-eval fixture (not committed) has the checksums its SOURCE.md records."""
    root = built_root("vinoground_500_from_7", FIXTURE)
    assert {f.name: sha256_file(f) for f in root.iterdir()} == {
        "vinoground.csv": "8851b4a8cac595932b415f6fc8c0d91cad08dc9f046ef189d4248d2701d7218d",
        "vinoground_textscore.json": "00d0ce1cbdf23ce4723f23f2c0d5b1da0a04d23c6f20d66a16575323f0d9b83b",
        "vinoground_videoscore.json": "31d5fd649cd3601c93136e7213c12274819bb921b16304628ae499f92ab841f6",
    }
