"""TVBench: loader on the real annotation file and the official check_ans scoring on hand-made predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.choice import mvbench_check_ans
from tarsier_eval.scoring.parsers.lmms_eval import tvbench_choice, tvbench_target
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction


@pytest.fixture(scope="module")
def tvbench(shared_benchmarks: Path):
    spec = get_task("tvbench")
    result = load_samples(spec, shared_benchmarks)
    return spec, result.samples


def test_loads_every_real_question(tvbench):
    _spec, samples = tvbench
    assert len(samples) == 2525
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts["Action Count"] == 536 and counts["Unexpected Action"] == 82 and len(counts) == 10
    first = samples[0]
    assert first.sample_id == "tvbench/0"
    assert first.video == "video/action_antonym/S010C003P021R002A020_rgb.avi"
    assert first.options == ["Put on a hat/cap.", "Take off a hat/cap."]
    assert first.answer == "A"
    assert first.prompt == (
        "Question: What is the action being performed in the video?\nOptions:\n"
        "(A) Put on a hat/cap.\n(B) Take off a hat/cap.\nOnly give the best option."
    )
    assert first.response_prefix == "Best option:("
    assert first.source.file == "full.TVBench_tarsier-format.jsonl" and first.source.pointer == "/0"


@pytest.mark.parametrize(
    ("pred", "gt", "expected"),
    [
        ("(A) Put on", "(A) Put on a hat/cap.", True),
        ("(a)", "(A) x", True),
        ("(B)", "(A) x", False),
        ("(", "(C) x", True),  # the official quirk: an empty reply matches every option
        ("(The answer is A", "(A) x", False),
        ("((A) x", "(A) x", True),
        ("(A.", "(A) x", True),  # the dot is removed before the containment test
    ],
)
def test_check_ans_matches_the_notebook(pred, gt, expected):
    assert mvbench_check_ans(pred, gt) is expected


def test_official_scores_on_crafted_predictions(tvbench):
    spec, samples = tvbench
    by_subset: dict[str, list] = {}
    for s in samples:
        by_subset.setdefault(s.subset, []).append(s)
    preds: dict[str, Prediction] = {}
    # Action Count: all correct; Object Count: all wrong; Unexpected Action: empty replies (official: correct);
    # Action Antonym: half missing (counted wrong); everything else: "The answer is X" (official: wrong).
    for s in by_subset["Action Count"]:
        preds[s.sample_id] = Prediction(s.sample_id, f"{s.answer}) {s.options[ord(s.answer) - 65]}")
    for s in by_subset["Object Count"]:
        wrong = "A" if s.answer != "A" else "B"
        preds[s.sample_id] = Prediction(s.sample_id, f"{wrong})")
    for s in by_subset["Unexpected Action"]:
        preds[s.sample_id] = Prediction(s.sample_id, "")
    for i, s in enumerate(by_subset["Action Antonym"]):
        if i % 2 == 0:
            preds[s.sample_id] = Prediction(s.sample_id, f"{s.answer})")
    for name, group in by_subset.items():
        if name not in ("Action Count", "Object Count", "Unexpected Action", "Action Antonym"):
            for s in group:
                preds[s.sample_id] = Prediction(s.sample_id, f"The answer is {s.answer}.")
    scores = score_task(spec, samples, preds)
    m = scores.metrics
    assert m["Action Count"]["accuracy"] == 100.0
    assert m["Object Count"]["accuracy"] == 0.0
    assert m["Unexpected Action"]["accuracy"] == 100.0
    assert m["Action Antonym"]["accuracy"] == 50.0
    assert m["Moving Direction"]["accuracy"] == 0.0
    correct = 536 + 82 + 160
    assert m["overall"]["accuracy"] == pytest.approx(100 * correct / 2525)
    assert m["overall"]["accuracy_macro"] == pytest.approx((100 + 100 + 50) / 10)
    counts = scores.counts()
    assert counts["n"] == 2525 and counts["n_missing"] == 160
    # with the quirk fixed, the 82 empty replies are wrong
    fixed = score_task(spec, samples, preds, options={"empty_is_wrong": True})
    assert fixed.metrics["overall"]["accuracy"] == pytest.approx(100 * (536 + 160) / 2525)


def test_malformed_line_is_reported_and_skipped(tmp_path, shared_benchmarks):
    root = tmp_path / "TVBench"
    root.mkdir()
    src = shared_benchmarks / "TVBench" / "samples_tarsier-format.jsonl"
    lines = src.read_text().splitlines()
    lines.insert(2, '{"messages": [broken')
    (root / "TVBench.jsonl").write_text("\n".join(lines) + "\n")
    result = load_samples(get_task("tvbench"), tmp_path)
    assert len(result.samples) == len(lines) - 1
    assert len(result.issues) == 1 and "TVBench.jsonl#/2" in str(result.issues[0])


# ---- protocols ------------------------------------------------------------------------------------------------


def test_protocols_and_paper():
    spec = get_task("tvbench")
    assert protocols.names(spec) == ["official", "lmms-eval", "tarsier", "paper"]
    assert protocols.resolve(spec, None).key == "tarsier@1"


def test_tarsier_protocol_prompt_is_the_tarsier_annotation_text(shared_benchmarks):
    """`run --protocol tarsier` sends what bytedance/tarsier's inference sends: the annotation's user text, no system
    prompt, the assistant turn started with " Answer: (", 16 frames first-and-last uniform."""
    effective, _ = protocols.apply(get_task("tvbench"), "tarsier")
    samples = load_samples(effective, shared_benchmarks).samples
    lines = (shared_benchmarks / "TVBench" / "full.TVBench_tarsier-format.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(samples) == len(records) == 2525
    for sample, record in zip(samples, records, strict=True):
        user, assistant = record["messages"]
        assert sample.prompt == next(c["text"] for c in user["content"] if c["type"] == "text")
        assert sample.response_prefix == assistant["content"][0]["text"] == " Answer: ("
        assert sample.system is None and sample.answer == assistant["content"][1]["reference"]
    assert (effective.video.num_frames, effective.video.sampling) == (16, "tarsier_uniform")


def test_duplicate_candidate_questions_are_graded_against_the_last_officially(shared_benchmarks):
    spec = get_task("tvbench")
    official = {s.sample_id: s for s in load_samples(spec, shared_benchmarks).samples}
    tarsier = {s.sample_id: s for s in load_samples(protocols.apply(spec, "tarsier")[0], shared_benchmarks).samples}
    differ = sorted((k for k in official if official[k].answer != tarsier[k].answer), key=lambda k: int(k[8:]))
    assert [k.split("/")[1] for k in differ] == ["1453", "1460", "1463", "1464", "1484", "1494", "1528", "1529",
                                                 "1599", "1613", "1614", "1621"]  # fmt: skip
    s = official["tvbench/1453"]
    assert (tarsier["tvbench/1453"].answer, s.answer) == ("A", "C") and s.options[0] == s.options[2]


def test_lmms_eval_reads_a_numeric_answer_as_an_option_index(tvbench):
    """lmms-eval's tvbench_doc_to_target turns the answer text "3" into option index 3: its gold letter is not the
    real one, and only a reply naming that other letter scores."""
    spec, samples = tvbench
    effective, _ = protocols.apply(spec, "lmms-eval")
    counting = [s for s in samples if s.subset == "Action Count" and s.options[ord(s.answer) - 65].isdecimal()]
    shifted = next(s for s in counting if tvbench_target(s.options[ord(s.answer) - 65], s.options) != s.answer)
    target = tvbench_target(shifted.options[ord(shifted.answer) - 65], shifted.options)
    scored = {reply: score_task(effective, [shifted], {shifted.sample_id: Prediction(shifted.sample_id, reply)})
              for reply in (shifted.answer, target)}  # fmt: skip
    assert scored[shifted.answer].samples[0].score == 0.0 and scored[target].samples[0].score == 1.0
    assert scored[target].samples[0].detail["lmms_eval_target"] == target


@pytest.mark.parametrize(
    ("reply", "letter"),
    [
        ("B", "B"),
        ("(b) text", "B"),  # upper-cased first
        ("Option A", "A"),
        ("I think it is D", None),  # "I" is the first standalone letter, not an option: then no leading letter
        ("Wear a shoe.", "A"),  # the article
        ("", None),
    ],
)
def test_lmms_eval_letter(reply, letter):
    assert (tvbench_choice(reply, ["Wear a shoe.", "Take off a shoe.", "x", "y"]) or None) == letter
