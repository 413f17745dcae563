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

Loader options: `form` ("open", the official QA files; "mcq", the re-formulation); `split` ("direct" or
"indirect"): the open-answer file is looked up as `qa/<split>/<name>`, `<split>/<name>`, then `<name>` (a flat file
is taken to be the named split: nothing in it says which); `answer_vocabulary` (default "train_qas.json", beside the
test file; null: none): the train split whose answers make the official answer vocabulary
(baselines/preprocess/preprocess_vocab.py: `<UNK0>`, `<UNK1>`, then the 4,000 most common train answers,
lower-cased), put in every open sample's meta for the official exact-match rule (scoring/parsers/egotaskqa.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from tarsier_eval.data.files import AnnotationFiles
from tarsier_eval.data.records import Item, Loader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import ConfigError, UsageError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import AnnotationFile, TaskSpec

BINARY = ("yes", "no")
MCQ_FILE = "egotaskqa_mcq_test.json"  # the MCQ re-formulation exported as a JSON list (form: mcq)
SPLITS = ("direct", "indirect")
ANSWER_TOP = 4000  # preprocess_vocab.py --answer_top default


def answer_vocabulary(train: list[dict[str, Any]]) -> dict[str, int]:
    """The official answer_token_to_idx: `<UNK0>`, `<UNK1>`, then the most common train answers (ties in first-seen
    order), lower-cased (a lower-cased duplicate keeps its first place)."""
    vocab = {"<UNK0>": 0, "<UNK1>": 1}
    for answer, _ in Counter(str(r["answer"]) for r in train).most_common(ANSWER_TOP):
        vocab.setdefault(answer.lower(), len(vocab))
    return vocab


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


def _open(record: dict[str, Any], index: int, num_frames: int, context: dict[str, Any]) -> Record:
    question, answer = record["question"], record["answer"]
    if not isinstance(question, str) or not isinstance(answer, str) or not answer.strip():
        raise ValueError("'question' and 'answer' must be strings")
    tags = record["reasoning_type"].split("$")
    folder, frames = interval_frames(record["interval"], num_frames)
    meta = {"form": "open", "reasoning_types": tags, "interval": record["interval"], "program": record.get("program"),
            "split": context["split"], "answer_vocabulary": context["vocabulary"]}  # fmt: skip
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
class EgoTaskQA(Loader):
    def __init__(self, spec: TaskSpec, form: str = "open", split: str = "direct",
                 answer_vocabulary: str | None = "train_qas.json"):  # fmt: skip
        super().__init__(spec)
        if form not in ("open", "mcq") or split not in SPLITS:
            raise ConfigError(f"egotaskqa: loader options form (open|mcq) and split (direct|indirect), got "
                              f"form={form!r} split={split!r}")  # fmt: skip
        self.form, self.split, self.vocabulary_file = form, split, answer_vocabulary

    def annotation(self) -> AnnotationFile:
        """The test file of the chosen form: the YAML's first annotation (open answers) under the split's folder, or
        the MCQ export."""
        if self.form == "mcq":
            return AnnotationFile(MCQ_FILE)
        ann = self.spec.annotations[0]
        return AnnotationFile(f"qa/{self.split}/{ann.name}", (f"{self.split}/{ann.name}", ann.name, *ann.aliases))

    def vocabulary(self, files: AnnotationFiles, test_file: str) -> dict[str, int] | None:
        if self.form == "mcq" or not self.vocabulary_file:
            return None
        name = (PurePosixPath(test_file).parent / self.vocabulary_file).as_posix()
        try:
            rel, train = files.json(AnnotationFile(name))
        except UsageError as exc:
            raise UsageError(f"{exc}. The official exact-match rule needs the train split's answers (loader option "
                             "answer_vocabulary); without them use --protocol lenient") from None  # fmt: skip
        if not isinstance(train, list):
            raise ConfigError(f"egotaskqa: answer vocabulary file {rel} must be a JSON list of QA records")
        return answer_vocabulary(train)

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        items = list(files.list_items(self.annotation()))
        context = {"split": self.split, "vocabulary": self.vocabulary(files, items[0].file) if items else None}
        for item in items:
            yield Item(item.file, item.pointer, item.value, context)

    def records(self, item: Item) -> Iterator[Record]:
        record, index = item.value, int(item.pointer.lstrip("/"))
        if self.form == "mcq":
            built = _mcq(record, index)
        else:
            built = _open(record, index, self.spec.video.num_frames or 20, item.context)
        built.pointer = item.pointer
        yield built
