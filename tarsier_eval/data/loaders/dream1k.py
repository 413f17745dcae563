"""Loader for caption benchmarks in the Tarsier "messages" JSONL format (DREAM-1K: bytedance/tarsier
data/annotations/DREAM-1k.jsonl).

A record holds the user turn (a video item and the instruction text), the assistant turn whose `reference` is the
human description, `dataset` = "DREAM/<subset>", `idx`, `vid` (the video is `<vid>.mp4`) and `extra_info` with the
GT `events` and the n_events / n_shots / n_subjects counts used for the official buckets.
Sample ids are `<task>/<vid>`; subsets carry the names of the Tarsier2 paper's Table 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tarsier_eval.data.records import Item, ListLoader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS

# official `dataset` suffix -> the column name of Tarsier2 Table 1
SUBSET_NAMES = {
    "movie_live_action": "Live-action",
    "movie_animation": "Animation",
    "videvo": "Stock",
    "youtube": "YouTube",
    "vertical_video": "Shorts",
}


def _turn_text(record: dict[str, Any]) -> tuple[str, str]:
    user, assistant = record["messages"][0], record["messages"][1]
    instruction = next(c["text"] for c in user["content"] if c.get("type") == "text")
    reference = next(c["reference"] for c in assistant["content"] if c.get("type") == "text")
    if not isinstance(instruction, str) or not instruction.strip():
        raise ValueError("empty instruction")
    if not isinstance(reference, str) or not reference.strip():
        raise ValueError("empty reference description")
    return instruction, reference


@LOADERS.register("tarsier_messages_caption")
class TarsierMessagesCaption(ListLoader):
    def records(self, item: Item) -> Iterator[Record]:
        record = item.value
        instruction, reference = _turn_text(record)
        dataset = record["dataset"]
        official_subset = dataset.split("/", 1)[1]
        extra = record.get("extra_info") or {}
        events = extra.get("events")
        vid = int(record["vid"])
        if events is not None and not (isinstance(events, list) and all(isinstance(e, str) for e in events)):
            raise RecordError("extra_info.events is not a list of strings")
        meta = {"dataset": dataset, "idx": record.get("idx"), "vid": vid, "events": events,
                **{k: extra.get(k) for k in ("n_events", "n_shots", "n_subjects", "duration")}}  # fmt: skip
        subset = SUBSET_NAMES.get(official_subset, official_subset)
        yield Record(str(vid), subset, Media(f"{vid}.mp4"), reference, item.pointer,
                     fields={"instruction": instruction}, meta=meta)  # fmt: skip
