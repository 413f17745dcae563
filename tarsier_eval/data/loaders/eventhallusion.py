"""EventHallusion loader: the three question files of Stevetich/EventHallusion `questions/`.

Per video record two kinds of samples, as the official inference protocol asks them:
- one yes/no sample per question (`eventhallusion/<id>/q<k>`, pointer `/<i>/questions/<k>`), prompt
  `prompt.template` (question + "\\nPlease answer yes or no:"), gold "Yes." / "No.";
- one description sample per video (`eventhallusion/<id>/desc`, pointer `/<i>`), prompt `prompt.description`,
  gold = the event the judge compares with: `event_info.unexpected` for interleave, `event_info.caption` otherwise.
The split (entire / interleave / misleading) is the file name's first word and the subset. Videos:
`<media_dir>/<split>/<id>.mp4`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.records import Item, Loader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS


@LOADERS.register("eventhallusion")
class EventHallusion(Loader):
    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for ann in self.spec.annotations:
            split = Path(ann.name).stem.split("_")[0]
            for item in files.list_items(ann):
                item.context["split"] = split
                yield item

    def records(self, item: Item) -> Iterator[Record | RecordError]:
        record, split = item.value, item.context["split"]
        vid = str(record["id"])
        info = record["event_info"]
        event = str(info["unexpected"] if split == "interleave" else info["caption"])
        questions = [(str(q["question"]), str(q["answer"])) for q in record["questions"]]
        media = Media(f"{split}/{vid}.mp4")
        meta = {"video_id": vid, "category": record.get("category")}
        for k, (question, answer) in enumerate(questions):
            where = item.pointer + pointer("questions", k)
            if answer not in ("Yes.", "No."):
                yield RecordError(f"answer {answer!r}", where)
                continue
            yield Record(f"{vid}/q{k}", split, media, answer, where, question, use_prefix=False,
                         meta={**meta, "kind": "qa"})  # fmt: skip
        yield Record(f"{vid}/desc", split, media, event, item.pointer, template="description", use_prefix=False,
                     meta={**meta, "kind": "desc"})  # fmt: skip
