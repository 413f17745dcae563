"""Loader for OpenEQA (facebookresearch/open-eqa data/open-eqa-v0.json): EM-EQA questions over episode histories.

The file is a JSON list of {question, answer, category, question_id, episode_history, extra_answers?}. Each
question's media is the frame folder of its episode history (`<media_dir>/<episode_history>`, e.g.
`frames/hm3d-v0/000-hm3d-BFRyYbPCCPE` holding `*-rgb.png`), sampled by `video.sampling: openeqa`.
Sample ids are `<task>/<question_id>`; the subset is the question category; `meta["scene_set"]` is the
episode's dataset ("hm3d-v0" / "scannet-v0", reported as HM3D / ScanNet).
"""

from __future__ import annotations

from collections.abc import Iterator

from tarsier_eval.data.records import Item, ListLoader, Record
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS


def _text(record: dict, key: str) -> str:
    value = record[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{key}' must be a non-empty string")
    return value


@LOADERS.register("openeqa")
class OpenEQA(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        record = item.value
        question, answer = _text(record, "question"), _text(record, "answer")
        category, qid = _text(record, "category"), _text(record, "question_id")
        episode = _text(record, "episode_history")
        extra = record.get("extra_answers")
        if extra is not None and not (isinstance(extra, list) and all(isinstance(a, str) for a in extra)):
            raise ValueError("'extra_answers' must be a list of strings")
        meta = {"question": question, "question_id": qid, "episode_history": episode,
                "scene_set": episode.split("/", 1)[0], "extra_answers": extra}  # fmt: skip
        yield Record(qid, category, Media(episode, kind="frames"), answer, item.pointer, question, use_prefix=False,
                     meta=meta)  # fmt: skip
