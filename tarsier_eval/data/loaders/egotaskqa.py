"""Loader for EgoTaskQA (Buzz-Beater/EgoTaskQA): the official open-answer QA files or the MCQ re-formulation.

Open-answer form (official, data/qa/<direct|indirect>/test_qas.json, a JSON list; fields from
generation/generate/run.py and baselines/preprocess/split.py): question, answer, interval
"<video>|fpv<k>|<start>|<end>" ([start, end) frames of the LEMMA first-person stream), type, category, semantic,
structural, reference, question_id, reasoning_type ("$"-joined type + category + [semantic, structural,
reference]). Media: the frames the official baselines take (baselines/dataset/dataset.py): the interval's files
`<media_dir>/<video>/fpv<k>/img_{start+1..end:05d}.jpg` (1-based names), every len // n-th from the first, at most
n = video.num_frames (an interval shorter than n gives all its frames, where the official step of 0 would fail).
MCQ form (HF nv-njb/EgoTaskQA-MCQ as used by lmms-eval, exported as a JSON list): q, option {letter: text}, a,
video_path (under `<media_dir>/`); its prompt is `prompt.templates.mcq`.
Sample ids: `<task>/<question_id>` (open; the file position where no id is given) or `<task>/mcq/<index>`.
Subset: "binary" for yes/no answers, else "open" (MCQ: "mcq").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tarsier_eval.data.records import Item, ListLoader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS

BINARY = ("yes", "no")


def interval_frames(interval: str, num_frames: int) -> tuple[str, tuple[str, ...]]:
    """(frame folder, sampled frame files) of an official interval, as the baselines' LEMMA dataset reads it."""
    video, fpv, start, end = interval.split("|")
    first, last = int(start) + 1, int(end) + 1
    if not video or not fpv.startswith("fpv") or last <= first:
        raise ValueError(f"bad interval {interval!r}")
    folder = f"{video}/fpv{fpv[-1]}"
    names = [f"{folder}/img_{i:05d}.jpg" for i in range(first, last)]
    step = max(len(names) // num_frames, 1)
    return folder, tuple(names[::step][:num_frames])


def _open(record: dict[str, Any], index: int, num_frames: int) -> Record:
    question, answer = record["question"], record["answer"]
    if not isinstance(question, str) or not isinstance(answer, str) or not answer.strip():
        raise ValueError("'question' and 'answer' must be strings")
    tags = record["reasoning_type"].split("$")
    folder, frames = interval_frames(record["interval"], num_frames)
    meta = {"form": "open", "reasoning_types": tags, "interval": record["interval"], "program": record.get("program")}
    subset = "binary" if answer.strip().lower() in BINARY else "open"
    return Record(str(record.get("question_id", index)), subset, Media(folder, kind="images", images=frames), answer,
                  "", question, use_prefix=False, meta=meta)  # fmt: skip


def _mcq(record: dict[str, Any], index: int) -> Record:
    options = record["option"]
    if not isinstance(options, dict) or record["a"] not in options:
        raise ValueError("'option' must map letters to texts and hold the answer letter 'a'")
    letters = sorted(options)
    lines = "".join(f"({k}) {options[k]}\n" for k in letters)
    meta = {"form": "mcq", "option_map": {k: options[k] for k in letters}}
    return Record(f"mcq/{index}", "mcq", Media(record["video_path"]), record["a"], "", record["q"],
                  [options[k] for k in letters], template="mcq", fields={"options": lines}, use_prefix=False,
                  meta=meta)  # fmt: skip


@LOADERS.register("egotaskqa")
class EgoTaskQA(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        record, index = item.value, int(item.pointer.lstrip("/"))
        if isinstance(record, dict) and "q" in record:
            built = _mcq(record, index)
        else:
            built = _open(record, index, self.spec.video.num_frames or 20)
        built.pointer = item.pointer
        yield built
