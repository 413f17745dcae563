"""Video-MME loader: the official per-video results/template JSON, the HF rows as JSON/JSONL, or the HF parquet.

Official layouts (see /work/shared/benchmarks/Video-MME/FORMAT.md):
- grouped (evaluation/output_test_template.json): `[{video_id, duration, domain, sub_category, questions: [...]}]`,
  pointer `/<video index>/questions/<question index>`;
- flat (HF `lmms-lab/Video-MME` rows): one object per question with `videoID` (the video/subtitle file stem),
  pointer `/<row index>`. The parquet needs `pyarrow`, which is an optional dependency.
Options are stored as texts (the "A. " prefix removed) and rendered back in the official "A. text" form.

`subtitles=True` builds the official "w/ subs" prompt: only the subtitle lines (`subtitle/<videoID>.srt`) whose
span contains the timestamp of a sampled frame, so the video is probed at load time; a video without a subtitle
file gets the plain prompt (Video-MME has subtitles for 744 of 900 videos). Every record's meta `with_subtitles` says
which setting it was loaded for (the scorer names the metrics of the w/ subs setting `*_subs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import AnnotationFiles, iter_jsonl, pointer, read_json
from tarsier_eval.data.options import option_label
from tarsier_eval.data.records import Item, Loader, Record, RecordError
from tarsier_eval.data.sample import LoadResult, Media
from tarsier_eval.errors import UsageError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec

_PREFIX = re.compile(r"^([A-Z])\.\s?(.*)$", re.DOTALL)
_SRT_TIME = re.compile(r"(\d+):(\d+):(\d+)[,.](\d+)\s*-->\s*(\d+):(\d+):(\d+)[,.](\d+)")


def _records(path: Path, rel: str, result: LoadResult) -> list[tuple[int, Any]]:
    """(index, record) of the annotation file, whatever its format."""
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise UsageError(f"{rel}: reading parquet needs pyarrow (pip install pyarrow) or a JSON export") from exc
        return list(enumerate(pq.read_table(path).to_pylist()))
    if path.suffix == ".jsonl":
        records = []
        for index, record, issue in iter_jsonl(path, rel):
            if issue:
                result.issues.append(issue)
            else:
                records.append((index, record))
        return records
    return list(enumerate(read_json(path, rel)))


def _options(raw: list[str]) -> list[str]:
    texts = []
    for index, option in enumerate(raw):
        match = _PREFIX.match(option.strip())
        if not match or match.group(1) != chr(ord("A") + index):
            raise ValueError(f"option {index} {option!r} does not start with '{chr(ord('A') + index)}. '")
        texts.append(match.group(2))
    return texts


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """(start s, end s, text) per SubRip block."""
    entries = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        for k, line in enumerate(lines):
            match = _SRT_TIME.search(line)
            if match:
                v = [int(x) for x in match.groups()]
                start = v[0] * 3600 + v[1] * 60 + v[2] + v[3] / 1000
                end = v[4] * 3600 + v[5] * 60 + v[6] + v[7] / 1000
                entries.append((start, end, " ".join(s.strip() for s in lines[k + 1 :] if s.strip())))
                break
    return entries


def subtitles_at(entries: list[tuple[float, float, str]], times: list[float]) -> list[str]:
    """Subtitle lines whose span contains one of `times`, once each, in subtitle order."""
    return [text for start, end, text in entries if text and any(start <= t <= end for t in times)]


def _frame_times(spec: TaskSpec, video: Path) -> list[float]:
    """Timestamps of the frames the task's sampler takes (the official "w/ subs" setting keeps their lines)."""
    from tarsier_eval.video import frame_indices, get_backend

    with get_backend().open(video) as reader:
        return [i / reader.fps for i in frame_indices(spec.video, reader.total, reader.fps, None, None)]


@LOADERS.register("videomme")
class VideoMME(Loader):
    """Both layouts: grouped (pointer `/<video>/questions/<k>`) and flat HF rows (pointer `/<row>`)."""

    def __init__(self, spec: TaskSpec, subtitles: bool = False, subtitle_dir: str = "subtitle"):
        super().__init__(spec)
        self.subtitles = subtitles
        self.subtitle_dir = subtitle_dir

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        path, rel = files.path(self.spec.annotations[0])
        for i, record in _records(path, rel, files.result):
            if not isinstance(record, dict):
                files.issue(rel, pointer(i), "record is not an object")
            elif isinstance(record.get("questions"), list):
                for j, q in enumerate(record["questions"]):
                    yield Item(rel, pointer(i, "questions", j), q, {"video": record, "root": files.root})
            else:
                yield Item(rel, pointer(i), record, {"video": record, "root": files.root})

    def records(self, item: Item) -> Iterator[Record]:
        video, q = item.context["video"], item.value
        options = _options(q["options"])
        stem = video.get("videoID") or video["video_id"]
        meta = {k: video[k] for k in ("duration", "domain", "sub_category")}
        meta.update(task_type=q["task_type"], video_id=video["video_id"], with_subtitles=self.subtitles)
        if q["answer"] not in [option_label(i) for i in range(len(options))]:
            raise RecordError(f"gold letter {q['answer']!r} is not an option")
        record = Record(str(q["question_id"]), meta["duration"], Media(f"{stem}.mp4"), q["answer"], item.pointer,
                        q["question"], options, meta=meta)  # fmt: skip
        if self.subtitles:
            self._add_subtitles(record, item.context["root"], stem)
        yield record

    def _add_subtitles(self, record: Record, root: Path, stem: str) -> None:
        """The official "w/ subs" prompt: the subtitle lines at the sampled frames' timestamps before the question."""
        srt = root / self.subtitle_dir / f"{stem}.srt"
        record.meta["subtitles"] = srt.is_file()
        if not srt.is_file():
            return
        video = root / self.spec.media_dir / record.media.path if self.spec.media_dir else root / record.media.path
        try:
            lines = subtitles_at(parse_srt(srt.read_text(encoding="utf-8")), _frame_times(self.spec, video))
        except Exception as exc:  # a broken video or subtitle file is this record's problem only
            raise RecordError(f"cannot build subtitles from {srt.name}: {exc!r}") from None
        block = self.spec.prompt.get("subtitle_template", "This video's subtitles are listed below:\n{subtitles}\n")
        record.preamble = block.format(subtitles="\n".join(lines))
