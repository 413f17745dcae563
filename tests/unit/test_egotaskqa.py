"""EgoTaskQA: official-schema loader (interval frames as the baselines pick them), exact match per reasoning tag,
and the lmms-eval MCQ variant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval import protocols
from tarsier_eval.data.load import load_samples
from tarsier_eval.data.loaders.egotaskqa import answer_vocabulary, interval_frames
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.parsers.egotaskqa import mcq_letter, normalize_answer
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tests.support.cli import run_cli

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "egotaskqa"
MCQ = [
    {"q": "What does the person hold?", "option": {"A": "a knife", "B": "a cup", "C": "a plate", "D": "an apple"},
     "a": "B", "video_path": "qa_videos/clip_0.mp4"},
    {"q": "Where does the person go?", "option": {"A": "kitchen", "B": "bedroom", "C": "put the cup on the table",
     "D": "outside"}, "a": "C", "video_path": "qa_videos/clip_1.mp4"},
]  # fmt: skip


@pytest.fixture(scope="module")
def ego():
    spec = get_task("egotaskqa")
    return spec, load_samples(spec, FIXTURE).samples


def test_interval_frames_as_the_baselines():
    folder, frames = interval_frames("s1_1_bedroom_1|fpv1|120|160", 16)
    assert folder == "s1_1_bedroom_1/fpv1" and len(frames) == 16  # 40 frames, every 2nd from img_00121
    assert frames[0].endswith("img_00121.jpg") and frames[1].endswith("img_00123.jpg")
    assert frames[-1].endswith("img_00151.jpg")
    assert [f[-9:-4] for f in interval_frames("v|fpv2|30|35", 16)[1]] == ["00031", "00032", "00033", "00034", "00035"]
    assert interval_frames("v|fpv2|0|100", 20)[1][:2] == ("v/fpv2/img_00001.jpg", "v/fpv2/img_00006.jpg")
    with pytest.raises(ValueError):
        interval_frames("v|fpv1|10|10", 16)


def test_loads_official_schema(ego, tmp_path):
    _spec, samples = ego
    assert [s.sample_id for s in samples] == [f"egotaskqa/{i}" for i in range(101, 106)]
    s = samples[0]
    assert s.subset == "binary" and samples[2].subset == "open"
    assert s.meta["reasoning_types"] == ["descriptive", "multi-agent", "state", "verify", "direct"]
    assert s.media.kind == "images" and s.media.images[0] == "videos/s1_1_bedroom_1/fpv1/img_00121.jpg"
    assert s.prompt.endswith("from dispenser?\nAnswer the question using a single word or phrase.")
    records = json.loads((FIXTURE / "test_qas.json").read_text())
    del records[1]["reasoning_type"]
    records[2]["interval"] = "broken"
    (tmp_path / "test_qas.json").write_text(json.dumps(records))
    (tmp_path / "train_qas.json").write_text((FIXTURE / "train_qas.json").read_text())
    result = load_samples(get_task("egotaskqa"), tmp_path)
    assert len(result.samples) == 3 and [i.pointer for i in result.issues] == ["/1", "/2"]


@pytest.mark.parametrize(
    ("text", "official", "strict"),
    [("Yes.", "yes", "Yes."), (" wash apple \n", "wash apple", "wash apple"), ("No, he cannot", "no, he cannot",
     "No, he cannot"), ("open..", "open.", "open..")],
)  # fmt: skip
def test_normalisation(text, official, strict):
    assert normalize_answer(text) == official and normalize_answer(text, "strict") == strict


def test_official_answer_vocabulary():
    """preprocess_vocab.py: <UNK0>, <UNK1>, then train answers by count (ties first-seen), lower-cased."""
    train = [{"answer": a} for a in ["no", "Apple", "yes", "yes", "apple", "no", "yes", "cup"]]
    assert list(answer_vocabulary(train)) == ["<UNK0>", "<UNK1>", "yes", "no", "apple", "cup"]
    vocab = answer_vocabulary(json.loads((FIXTURE / "train_qas.json").read_text()))
    assert set(vocab) == {"<UNK0>", "<UNK1>", "yes", "no", "wash apple", "open", "put cup"}


def test_official_exact_match_over_the_train_vocabulary(ego):
    """The raw reply must be a vocabulary entry equal to the reference; a reference outside the vocabulary
    ("get cup": label <UNK1>) is never correct; "<UNK1>" would crash the official encoder (wrong here)."""
    spec, samples = ego
    assert samples[0].meta["split"] == "direct" and "wash apple" in samples[0].meta["answer_vocabulary"]
    replies = ["yes", "No", "wash apple", "get cup", "<UNK1>"]
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(samples, replies, strict=True)}
    scores = score_task(spec, samples, preds)
    assert [r.score for r in scores.samples] == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert [r.status for r in scores.samples] == ["ok", "unparsed", "ok", "unparsed", "unparsed"]
    assert scores.samples[3].detail == {"reference_outside_vocabulary": True}
    assert "official_encoder_raises" in scores.samples[4].detail
    overall = scores.metrics["overall"]
    assert overall == {"accuracy": 40.0, "exact_match_direct": 40.0}
    assert any("outside the train answer vocabulary" in n for n in scores.notes)
    lenient, _ = protocols.apply(spec, "lenient")
    loaded = load_samples(lenient, FIXTURE).samples
    assert loaded[0].meta["answer_vocabulary"] is None
    assert score_task(lenient, loaded, preds).metrics["overall"]["accuracy"] == 80.0  # "No" and "get cup" count
    indirect = load_samples(spec, FIXTURE, options={"split": "indirect"}).samples
    assert "exact_match_indirect" in score_task(spec, indirect, preds).metrics["overall"]


def test_official_rule_needs_the_train_file(tmp_path):
    (tmp_path / "test_qas.json").write_text((FIXTURE / "test_qas.json").read_text())
    with pytest.raises(UsageError, match=r"train_qas\.json.*lenient"):
        load_samples(get_task("egotaskqa"), tmp_path)
    (tmp_path / "direct").mkdir()
    (tmp_path / "direct" / "train_qas.json").write_text((FIXTURE / "train_qas.json").read_text())
    (tmp_path / "direct" / "test_qas.json").write_text((FIXTURE / "test_qas.json").read_text())
    loaded = load_samples(get_task("egotaskqa"), tmp_path)  # the split folder comes first
    assert set(loaded.files) == {"direct/test_qas.json", "direct/train_qas.json"}


def test_exact_match_per_reasoning_tag(ego):
    spec, _ = ego
    spec, _ = protocols.apply(spec, "lenient")
    samples = load_samples(spec, FIXTURE).samples
    replies = ["Yes.", "No, he cannot", " Wash apple.\n", ""]  # 105 has no prediction
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(samples, replies, strict=False)}
    scores = score_task(spec, samples, preds)
    m = {k: v["accuracy"] for k, v in scores.metrics.items()}
    assert m["overall"] == pytest.approx(40.0) and scores.headline_value == pytest.approx(40.0)
    assert m["binary"] == pytest.approx(50.0) and m["open"] == pytest.approx(100 / 3)
    assert m["type=descriptive"] == 100.0 and m["type=world"] == pytest.approx(100 / 3)
    assert m["type=multi-agent"] == 50.0 and m["type=intent"] == 0.0 and m["type=indirect"] == 0.0
    assert m["type=verify"] == 50.0 and m["type=direct"] == 50.0 and m["type=action"] == pytest.approx(100 / 3)
    assert [r.status for r in scores.samples] == ["ok", "ok", "ok", "unparsed", "missing"]
    strict = score_task(spec, samples, preds, options={"normalize": "strict"})
    assert strict.metrics["overall"]["accuracy"] == 0.0


@pytest.mark.parametrize(
    ("reply", "letter"),
    [("(B) a cup", "B"), ("The answer is C.", "C"), ("**A**", "A"), ("B", "B"), ("a plate", "C"), ("an apple", "D"),
     ("Each option fits; I think a plate", "C"), ("Each option", ""), ("b", ""), ("", ""), ("I cannot tell", "")],
)  # fmt: skip
def test_mcq_extraction_as_lmms_eval(reply, letter):
    options = {"A": "a knife", "B": "a cup", "C": "a plate", "D": "an apple."}  # lmms-eval strips the "."
    assert mcq_letter(reply, options) == letter


def test_mcq_variant_end_to_end(tmp_path):
    (tmp_path / "egotaskqa_mcq_test.json").write_text(json.dumps(MCQ))
    spec, _ = protocols.apply(get_task("egotaskqa"), "lmms-eval")
    samples = load_samples(spec, tmp_path).samples
    assert [s.sample_id for s in samples] == ["egotaskqa/mcq/0", "egotaskqa/mcq/1"]
    assert samples[0].prompt == (
        "Select the best answer to the following multiple-choice question based on the video.\n"
        "What does the person hold?\nOptions:\n(A) a knife\n(B) a cup\n(C) a plate\n(D) an apple\n\n"
        "Answer with the option's letter from the given choices directly and only give the best option. "
        "The best answer is: "
    )
    assert samples[1].media.path == "videos/qa_videos/clip_1.mp4" and samples[1].subset == "mcq"
    preds = {"egotaskqa/mcq/0": Prediction("egotaskqa/mcq/0", "The answer is B"),
             "egotaskqa/mcq/1": Prediction("egotaskqa/mcq/1", "put the cup on the table")}  # fmt: skip
    scores = score_task(spec, samples, preds)
    assert scores.metrics["overall"] == {"accuracy": 100.0, "mcq_accuracy": 100.0}
    assert scores.metrics["mcq"]["accuracy"] == 100.0
    assert [r.parsed for r in scores.samples] == ["B", "C"]


def test_protocols_all_on_open_answers(tmp_path):
    """`score --protocols all`: official, lenient and paper side by side; lmms-eval, which reads the MCQ file, gets a
    row saying why it could not score these open-answer predictions."""
    preds = tmp_path / "preds.jsonl"
    replies = {101: "yes", 102: "No", 103: "wash apple", 104: "get cup", 105: "open"}
    preds.write_text("".join(json.dumps({"sample_id": f"egotaskqa/{k}", "response": v}) + "\n"
                             for k, v in replies.items()))  # fmt: skip
    proc = run_cli("score", "--task", "egotaskqa", "--predictions", str(preds), "--data-root", str(FIXTURE),
                   "--protocols", "all")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("|")[1].strip(): line for line in proc.stdout.splitlines() if line.startswith("| ")}
    assert "| official@1 | accuracy | 60.00 | 5 |" in rows["official"]
    assert "| lenient@1 | accuracy | 100.00 | 5 |" in rows["lenient"]
    assert "| official@1 | accuracy | 60.00 |" in rows["paper"]
    assert "not scored" in rows["lmms-eval"] and "egotaskqa_mcq_test.json" in rows["lmms-eval"]
    assert "2 items scored differently under lenient@1 than under official@1:" in proc.stdout
