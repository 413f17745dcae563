"""Loader for Vinoground (HF HanSolo9682/Vinoground): `vinoground_textscore.json` and `vinoground_videoscore.json`
(lists of {idx: "<i>_pos"|"<i>_neg", video_name, question, GT}) and `vinoground.csv` (major/minor categories).

As in the official get_score_all.py, pairs are by position: items 2k and 2k+1 of each JSON form pair k, and csv
data row k gives its categories ("all", major, and the ';'-separated minors). The prompt is the JSON `question`
verbatim (as the official eval scripts send it), through the YAML `prompt.template` (lmms-eval appends
"\\nPlease only output one English character.").
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.records import Item, Loader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.errors import ConfigError
from tarsier_eval.registry import LOADERS

KINDS = {"vinoground_textscore": "text", "vinoground_videoscore": "video"}


def categories(row: list[str]) -> list[str]:
    """get_score_all.py: ["all", major] + minor.split(';'), dropping one trailing empty entry."""
    cats = ["all", row[1], *row[2].split(";")]
    if cats[-1] == "":
        cats.pop()
    return cats


def _pair_issue(items: list[Any], k: int) -> str | None:
    pos, neg = items[2 * k], items[2 * k + 1]
    try:
        a, b = str(pos["idx"]), str(neg["idx"])
        if not (a.endswith("_pos") and b.endswith("_neg") and a[:-4] == b[:-4]):
            return f"items {2 * k} and {2 * k + 1} are not a pos/neg pair: {a!r}, {b!r}"
        for item in (pos, neg):
            if item["GT"] not in ("A", "B") or not isinstance(item["question"], str) or not item["video_name"]:
                return f"malformed item {item['idx']!r}"
    except (KeyError, TypeError) as exc:
        return f"malformed pair {k}: {exc!r}"
    return None


@LOADERS.register("vinoground")
class Vinoground(Loader):
    """Pairs by position (items 2k, 2k+1 of each score JSON) with their csv row's categories, as officially."""

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        loaded: dict[str, tuple[str, Any]] = {}
        for ann in self.spec.annotations:
            stem = Path(ann.name).stem
            if stem == "vinoground":
                path, rel = files.path(ann)
                with path.open(encoding="utf-8", newline="") as fh:
                    loaded[stem] = (rel, list(csv.reader(fh))[1:])
            else:
                loaded[stem] = files.json(ann)
        if set(loaded) != {"vinoground", *KINDS}:
            raise ConfigError(
                f"task {self.spec.name}: expected vinoground.csv and the two score JSONs, got {sorted(loaded)}"
            )
        rows = loaded["vinoground"][1]
        for stem, kind in KINDS.items():
            rel, items = loaded[stem]
            if not isinstance(items, list):
                files.issue(rel, "", "expected a JSON list")
                continue
            for k in range(len(items) // 2):
                yield Item(rel, pointer(2 * k), items, {"kind": kind, "pair": k, "rows": rows})
            if len(items) % 2:
                files.issue(rel, pointer(len(items) - 1), "odd number of items: the last one has no pair")

    def records(self, item: Item) -> Iterator[Record]:
        items, k, kind, rows = item.value, item.context["pair"], item.context["kind"], item.context["rows"]
        problem = _pair_issue(items, k) or (None if k < len(rows) else f"no csv row for pair {k}")
        if problem:
            raise RecordError(problem)
        for pos in (2 * k, 2 * k + 1):
            entry = items[pos]
            meta = {
                "kind": kind,
                "pair": k,
                "role": str(entry["idx"]).rsplit("_", 1)[1],
                "categories": categories(rows[k]),
            }
            yield Record(f"{kind}/{entry['idx']}", kind, Media(str(entry["video_name"])), entry["GT"], pointer(pos),
                         entry["question"], use_prefix=False, meta=meta)  # fmt: skip
