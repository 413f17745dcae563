"""Loader for RoboVQA (google-deepmind/robovqa): the val split's SequenceExamples, exported to JSONL.

The official data are TFRecords (gs://anon_robovqa/tfrecord/val/val*) of `tf.train.SequenceExample`, each with an
`images` feature list (JPEG frames of one clip) and ONE `texts` string serialising every QA task of that clip. This
harness reads no TFRecords: a val export holds one JSON line per SequenceExample, `{"id": str, "texts": str}`, the
`texts` feature verbatim, with the clip's frames written in order to the folder `<media_dir>/<id>/`.
The QA pairs come out as the official notebook's `fetch_question_answer` (data_loading_and_eval.ipynb) gives them:
- split `texts` on `(<task[:\\w]*>)` (case-insensitive), group the task bodies by tag (first-seen tag order),
  left-strip each body;
- in a body, the split point is the first "A:" (case-insensitive); the question is the text before it, the answer
  the text from it on, both with every tag `</*\\w[:\\w]*>` removed and stripped (the answer KEEPS "A: "); a body
  without "A:" gives question "" and the whole body, tags NOT removed, as answer (as the notebook does).
Sample ids: `<task>/<id>/<k>`, k = the QA's position in that order. Subset = the task tag without "<task:", ">"
and a trailing ":True"/":False" (e.g. "success:discrete"); the full tag is in `meta["task_type"]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tarsier_eval.data.files import pointer
from tarsier_eval.data.records import Item, ListLoader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS

TASK_RE = re.compile(r"(<task[:\w]*>)", re.IGNORECASE)
TAGS_RE = re.compile(r"(</*\w[:\w]*>)")
ANSWER_TAG = "a:"


def remove_tags(text: str) -> str:
    return TAGS_RE.sub("", text)


def split_tasks(texts: str) -> dict[str, list[str]]:
    """Notebook `Tasks.text_to_dict`: task tag -> its bodies, in first-seen tag order."""
    parts = TASK_RE.split(texts)[1:]
    tasks: dict[str, list[str]] = {}
    for i in range(0, len(parts) - 1, 2):
        body = parts[i + 1].lstrip()
        if body:
            tasks.setdefault(parts[i].strip(), []).append(body)
    return tasks


def split_question_answer(body: str) -> tuple[str, str]:
    """Notebook `Task.get_splits('A:')` (one split: there is no end tag), stripped as `fetch_question_answer`."""
    at = body.lower().find(ANSWER_TAG)
    if at < 0:
        return "", body.strip()
    question = remove_tags(body[:at]) if at > 0 else ""
    return question.strip(), remove_tags(body[at:]).strip()


def fetch_question_answer(texts: str) -> list[tuple[int, str, str, str]]:
    """(task type index, task tag, question, answer) for every QA of one `texts` string, in the notebook's order."""
    return [
        (i, tag, *split_question_answer(body))
        for i, (tag, bodies) in enumerate(split_tasks(texts).items())
        for body in bodies
    ]


def task_family(tag: str) -> str:
    inner = tag.strip()[1:-1].split(":", 1)[-1] if ":" in tag else tag.strip("<>")
    return re.sub(r":(True|False)$", "", inner, flags=re.IGNORECASE)


@LOADERS.register("robovqa")
class RoboVQA(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        clip, texts = str(item.value["id"]), item.value["texts"]
        if not clip or not isinstance(texts, str):
            raise ValueError("'id' and 'texts' must be non-empty strings")
        where = item.pointer + pointer("texts")
        qas = fetch_question_answer(texts)
        if not qas:
            raise RecordError("no <task:...> in texts", where)
        for k, (type_index, tag, question, answer) in enumerate(qas):
            meta = {"clip": clip, "task_type": tag, "type_index": type_index, "question": question}
            yield Record(f"{clip}/{k}", task_family(tag), Media(clip, kind="frames"), answer, where, question,
                         use_prefix=False, meta=meta)  # fmt: skip
