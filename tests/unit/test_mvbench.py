"""MVBench: loader on official-schema fixture files and the official check_ans scoring on real-world replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.lmms_eval import mvbench_mcq_letter
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "mvbench"


@pytest.fixture(scope="module")
def mvbench():
    spec = get_task("mvbench")
    result = load_samples(spec, FIXTURE)
    assert result.issues == []
    return spec, result.samples


def test_loads_twenty_tasks_with_official_prompt_and_bounds(mvbench):
    _spec, samples = mvbench
    assert len(samples) == 40
    assert len({s.subset for s in samples}) == 20
    first = samples[0]
    assert first.sample_id == "mvbench/action_sequence/0"
    assert first.subset == "Action Sequence"
    assert first.video == "video/star/Charades_v1_480/ZS9XR.mp4"
    assert (first.media.start, first.media.end) == (0.0, 19.6)
    assert first.answer == "A"
    assert first.prompt == (
        "Question: What happened after the person took the food?\nOptions:\n(A) Ate the medicine.\n"
        "(B) Tidied up the blanket.\n(C) Put down the cup/glass/bottle.\n(D) Took the box.\nOnly give the best option."
    )
    assert first.system.endswith("addresses the question.\n")
    assert first.response_prefix == "Best option:("
    assert first.source.file == "json/action_sequence.json" and first.source.pointer == "/0"
    antonym = next(s for s in samples if s.subset == "Action Antonym")
    assert antonym.media.start is None and antonym.video.startswith("video/ssv2_video/")
    episodic = next(s for s in samples if s.subset == "Episodic Reasoning")
    assert episodic.media.kind == "frames" and episodic.meta["frame_fps"] == 3
    assert episodic.answer == "B" and len(episodic.options) == 5


def test_precut_clips_option(tmp_path):
    spec = get_task("mvbench")
    samples = load_samples(spec, FIXTURE, options={"clips": "precut"}).samples
    first = samples[0]
    assert first.video == "video/star/Charades_segment/ZS9XR.mp4" and first.media.start is None
    episodic = next(s for s in samples if s.subset == "Episodic Reasoning")
    assert episodic.media.kind == "video" and episodic.video.startswith("video/tvqa/video_fps3_hq_segment/")


def _reply(sample, style: str) -> str:
    letter = sample.answer
    text = sample.options[ord(letter) - 65]
    wrong = "A" if letter != "A" else "B"
    return {
        "paren_text": f"{letter}) {text}",  # after the "Best option:(" prefix the model continues "B) text"
        "full_paren": f"({letter}) {text}",  # "((B)" contains "(b)": correct
        "lower": letter.lower() + ")",
        "answer_is": f"The answer is {letter}.",  # "(the" is wrong under check_ans
        "bold": f"**{letter}**",  # "(**b**" is wrong
        "text_only": text,  # option text without a letter: wrong
        "empty": "",  # "(" matches every option: correct (quirk)
        "refusal": "I cannot tell from the video.",
        "wrong": f"{wrong})",
        "multiline": f"{letter}\nbecause ...",  # only the first line counts
    }[style]


STYLES = [
    "paren_text",
    "full_paren",
    "lower",
    "answer_is",
    "bold",
    "text_only",
    "empty",
    "refusal",
    "wrong",
    "multiline",
]
OFFICIAL = {"paren_text": 1, "full_paren": 1, "lower": 1, "answer_is": 0, "bold": 0, "text_only": 0, "empty": 1,
            "refusal": 0, "wrong": 0, "multiline": 1}  # fmt: skip


def _official(sample, style: str) -> int:
    # a text-only reply is right only when the option text is the bare gold letter (Character Order: "C")
    if style == "text_only":
        return int(sample.options[ord(sample.answer) - 65] == sample.answer)
    return OFFICIAL[style]


def test_check_ans_scoring_per_task_and_avg(mvbench):
    spec, samples = mvbench
    tasks = sorted({s.subset for s in samples})
    preds: dict[str, Prediction] = {}
    correct: dict[str, int] = {}
    for t_index, task in enumerate(tasks):
        group = [s for s in samples if s.subset == task]
        styles = (STYLES[t_index % len(STYLES)], STYLES[(t_index + 3) % len(STYLES)])
        for s, style in zip(group, styles, strict=True):
            preds[s.sample_id] = Prediction(s.sample_id, _reply(s, style))
            correct[s.sample_id] = _official(s, style)
    assert correct["mvbench/character_order/0"] == 1  # the "C" text-only case is exercised
    # one missing prediction counts wrong
    missing = samples[0].sample_id
    preds.pop(missing)
    correct[missing] = 0
    scores = score_task(spec, samples, preds)
    for task in tasks:
        ids = [s.sample_id for s in samples if s.subset == task]
        assert scores.metrics[task]["accuracy"] == pytest.approx(100 * sum(correct[i] for i in ids) / 2), task
    total = sum(correct.values())
    assert 0 < total < 40
    assert scores.metrics["overall"]["accuracy"] == pytest.approx(100 * total / 40)
    assert scores.metrics["overall"]["accuracy_macro"] == pytest.approx(100 * total / 40)
    assert scores.counts()["n_missing"] == 1 and scores.counts()["n"] == 40
    fixed = score_task(spec, samples, preds, options={"empty_is_wrong": True})
    n_empty = sum(1 for p in preds.values() if p.response == "")
    assert n_empty > 0
    assert fixed.metrics["overall"]["accuracy"] == pytest.approx(100 * (total - n_empty) / 40)


def _copy_with_action_count(tmp_path: Path, edit) -> None:
    """The fixture's annotation files under tmp_path/MVBench, with `edit` applied to action_count.json's records."""
    root = tmp_path / "MVBench"
    (root / "json").mkdir(parents=True)
    for ann in get_task("mvbench").annotations:
        (root / ann.name).write_text((FIXTURE / ann.name).read_text())
    records = json.loads((FIXTURE / "json/action_count.json").read_text())
    edit(records)
    (root / "json/action_count.json").write_text(json.dumps(records))


def test_answer_not_in_candidates_is_a_load_issue(tmp_path):
    spec = get_task("mvbench")
    _copy_with_action_count(tmp_path, lambda records: records[1].update(answer="7"))
    result = load_samples(spec, tmp_path)
    assert len(result.samples) == 39
    assert len(result.issues) == 1 and "json/action_count.json#/1" in str(result.issues[0])


# ---- protocols ------------------------------------------------------------------------------------------------


def test_protocols_and_paper():
    spec = get_task("mvbench")
    assert protocols.names(spec) == ["official", "lmms-eval", "tarsier", "paper"]
    assert protocols.resolve(spec, None).key == "tarsier@1"


def test_duplicate_candidates_take_the_last_officially(tmp_path):
    """The notebook's qa_template keeps the last candidate equal to the answer; lmms-eval and Tarsier the first."""
    spec = get_task("mvbench")
    _copy_with_action_count(tmp_path, lambda records: records[0].update(candidates=["3", "5", "3"], answer="3"))
    gold = {}
    for name in ("official", "lmms-eval", "tarsier"):
        effective, _ = protocols.apply(spec, name)
        samples = load_samples(effective, tmp_path).samples
        gold[name] = next(s.answer for s in samples if s.sample_id == "mvbench/action_count/0")
    assert gold == {"official": "C", "lmms-eval": "A", "tarsier": "A"}


@pytest.mark.parametrize(
    ("reply", "letter"),
    [
        ("B. text", "B"),
        ("(c)", "C"),
        ("b", "B"),
        ("ANSWER: D", "D"),
        ("Answer: (a)", "A"),
        ("Take off a hat/cap.", "A"),  # the article "a" is a standalone letter
        ("The answer is B", "B"),
        ("В) open", None),  # Cyrillic
        ("None of the above", None),
        ("", None),
    ],
)
def test_lmms_eval_mcq_acc_reading(reply, letter):
    value, is_letter = mvbench_mcq_letter(reply)
    assert (value if is_letter else None) == letter


def test_lmms_eval_leaves_out_only_exactly_empty_replies(mvbench):
    spec, samples = mvbench
    effective, _ = protocols.apply(spec, "lmms-eval")
    preds = {s.sample_id: Prediction(s.sample_id, f"({s.answer.lower()})") for s in samples}
    empty, blank = samples[0].sample_id, samples[1].sample_id
    preds[empty] = Prediction(empty, "")
    preds[blank] = Prediction(blank, " ")
    scores = score_task(effective, samples, preds)
    by_id = {r.sample_id: r for r in scores.samples}
    assert by_id[empty].score is None and by_id[blank].score == 0.0
    assert scores.metrics["overall"]["accuracy_micro"] == pytest.approx(100 * 38 / 39)


def test_tarsier_first_character_rule(mvbench):
    spec, samples = mvbench
    effective, _ = protocols.apply(spec, "tarsier")
    sample = samples[0]  # gold A
    replies = {"A) Ate": 1.0, "0": 1.0, "1": 0.0, "Answer: B": 1.0, "Ａ": 0.0, "Ⓐ": None, "a": None, "[A]": None,
               "": None, "(A)(B)": 1.0, "BA": 0.0}  # fmt: skip
    for reply, expected in replies.items():
        scores = score_task(effective, [sample], {sample.sample_id: Prediction(sample.sample_id, reply)})
        assert scores.samples[0].score == expected, reply
    missing = score_task(effective, [sample], {})
    assert missing.samples[0].score is None and missing.metrics["overall"]["accuracy"] is None
