"""Data roots that a conformance fixture names by a build rule (meta.json `data_build`) instead of committing them.

`vinoground_500_from_7`: lmms-eval's Vinoground aggregation hard-codes 500 pairs, so its fixture was made on a
deterministic expansion of the 7-pair official-schema fixture (tests/fixtures/conformance/vinoground/lmms-eval/
SOURCE.md): pair k of 500 is fixture pair k % 7 with its ids, video names and csv index renumbered to k.
"""

from __future__ import annotations

import atexit
import csv
import json
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any


def _renumbered(item: dict[str, Any], k: int, kind: str) -> dict[str, Any]:
    role = str(item["idx"]).rsplit("_", 1)[1]
    video = f"vinoground_videos/{k}_{role}.mp4" if kind == "text" else f"vinoground_videos_concated/{k}.mp4"
    return {**item, "idx": f"{k}_{role}", "video_name": video}


def vinoground_500_from_7(source: Path, dest: Path) -> None:
    """The 500-pair Vinoground tree of the lmms-eval fixture, from the 7-pair fixture at `source`."""
    for kind in ("text", "video"):
        items = json.loads((source / f"vinoground_{kind}score.json").read_text(encoding="utf-8"))
        n = len(items) // 2
        out = [_renumbered(items[2 * (k % n) + i], k, kind) for k in range(500) for i in (0, 1)]
        (dest / f"vinoground_{kind}score.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    with (source / "vinoground.csv").open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    column = header.index("index")
    with (dest / "vinoground.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for k in range(500):
            row = list(rows[k % len(rows)])
            row[column] = str(k)
            writer.writerow(row)


BUILDS: dict[str, Callable[[Path, Path], None]] = {"vinoground_500_from_7": vinoground_500_from_7}


@cache
def built_root(rule: str, source: Path) -> Path:
    """The data root that `rule` (the first word of meta.json `data_build`) makes from `source`, built once per
    process in a temporary folder (removed at exit)."""
    name = rule.split()[0]
    dest = Path(tempfile.mkdtemp(prefix=f"conformance-{name}-"))
    atexit.register(shutil.rmtree, dest, ignore_errors=True)
    BUILDS[name](source, dest)
    return dest
