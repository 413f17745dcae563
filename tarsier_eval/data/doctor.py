"""The data doctor (`tarsier-eval data check`): is a task's data complete under a data root, and if not, what is
missing and where to get it.

Per task it reports the annotation files (the name each was found under, its sha256 against the official file's
when the task YAML records it in `data.sources.sha256`), the records loaded and the malformed ones (file and JSON
pointer), the media the samples reference against what exists (missing paths, zero-byte files, empty frame
folders), archives lying in the task's folder (a Hugging Face snapshot's zipped or tarred videos: "unpack
first") and the official sources (`data.sources`). Decoding each media file (`--probe`) is the video layer's job
(tarsier_eval/video/probe.py); its findings are added to `MediaCheck.unreadable`.

A task is complete when every annotation file is found, at least one record loads, no record is malformed and
every referenced media exists, is not empty and (when probed) decodes. A checksum that differs from the official
file's is a warning: the numbers may not be comparable with published ones, but the data is usable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tarsier_eval.data.files import sha256_file, task_data_root
from tarsier_eval.data.load import load_samples, make_loader
from tarsier_eval.data.sample import LoadIssue, Media, Sample
from tarsier_eval.errors import TarsierEvalError
from tarsier_eval.sources import DataSources
from tarsier_eval.task import AnnotationFile, TaskSpec

SHOWN = 5  # paths or records listed per problem; the counts are always complete
ARCHIVE = re.compile(
    r"\.(zip|tar|tgz|tar\.gz|tar\.bz2|tar\.xz|7z|rar|pkl)$|\.(tar|zip|tar\.gz)\.(part\.)?[a-z]{2}$|\.z\d\d$", re.I
)


@dataclass
class AnnotationCheck:
    """One annotation file: its official name, the name it was found under (None: missing) and its checksum."""

    name: str
    tried: tuple[str, ...]
    found: str | None = None
    sha256: str | None = None
    official_sha256: str | None = None

    @property
    def checksum(self) -> str:
        """ "matches" or "differs" from the official file's sha256, "unknown" when none is recorded."""
        if self.sha256 is None or self.official_sha256 is None:
            return "unknown"
        return "matches" if self.sha256 == self.official_sha256 else "differs"


@dataclass
class MediaCheck:
    """The media the samples reference (distinct files and frame folders) against what the data folder holds."""

    referenced: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    probed: bool = False


@dataclass
class TaskCheck:
    """Everything `data check` found about one task."""

    task: str
    benchmark: str
    folder: str
    annotations: list[AnnotationCheck]
    sources: DataSources
    records: int | None = None
    issues: list[LoadIssue] = field(default_factory=list)
    load_error: str | None = None
    media: MediaCheck = field(default_factory=MediaCheck)
    archives: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    to_probe: list[Media] = field(default_factory=list, repr=False)

    @property
    def complete(self) -> bool:
        m = self.media
        found = all(a.found for a in self.annotations)
        return bool(found and self.records and not self.issues and not self.load_error
                    and not m.missing and not m.empty and not m.unreadable)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (`data check --json`)."""
        return {
            "task": self.task, "benchmark": self.benchmark, "complete": self.complete, "folder": self.folder,
            "annotations": [{"name": a.name, "found": a.found, "tried": list(a.tried), "sha256": a.sha256,
                             "official_sha256": a.official_sha256, "checksum": a.checksum} for a in self.annotations],
            "records": self.records, "malformed": [str(i) for i in self.issues], "load_error": self.load_error,
            "media": {"referenced": self.media.referenced, "found": self.media.found, "missing": self.media.missing,
                      "empty": self.media.empty, "unreadable": self.media.unreadable, "probed": self.media.probed},
            "archives": self.archives, "notes": self.notes,
            "sources": {"annotations": list(self.sources.annotations), "media": list(self.sources.media),
                        "snapshot": self.sources.snapshot},
        }  # fmt: skip


def check_annotation(root: Path, ann: AnnotationFile, sources: DataSources) -> AnnotationCheck:
    """Find one annotation file under the task root by its official name or an alias, and checksum it."""
    tried = (ann.name, *ann.aliases)
    check = AnnotationCheck(ann.name, tried, official_sha256=sources.sha256.get(ann.name))
    for name in tried:
        if (root / name).is_file():
            check.found, check.sha256 = name, sha256_file(root / name)
            break
    return check


def media_entries(media: Media) -> list[tuple[str, bool]]:
    """(path relative to the task root, is a folder) of everything a sample's media needs."""
    if media.kind == "video":
        return [(media.path, False)]
    if media.kind == "frames":
        return [(media.path, True)]
    if media.kind == "images":
        return [(image, False) for image in media.images]
    return []


def check_media(root: Path, samples: list[Sample]) -> tuple[MediaCheck, list[Media]]:
    """Count referenced vs found media; return the check and the distinct usable media (to probe)."""
    entries: dict[str, bool] = {}
    for sample in samples:
        entries.update(media_entries(sample.media))
    check = MediaCheck(referenced=len(entries))
    bad: set[str] = set()
    for rel, folder in sorted(entries.items()):
        path = root / rel
        if not (path.is_dir() if folder else path.is_file()):
            check.missing.append(rel)
        elif (not any(path.iterdir())) if folder else path.stat().st_size == 0:
            check.empty.append(rel)
        else:
            check.found += 1
            continue
        bad.add(rel)
    usable = {s.media: None for s in samples if media_entries(s.media)
              and not any(rel in bad for rel, _ in media_entries(s.media))}  # fmt: skip
    return check, list(usable)


def find_archives(root: Path) -> list[str]:
    """Archives in the task folder and its direct sub-folders (zips, tars, split parts, pickled videos)."""
    found = []
    for folder in [root, *(p for p in _subdirs(root))]:
        with os.scandir(folder) as it:
            found += [Path(e.path).relative_to(root).as_posix() for e in it if e.is_file() and ARCHIVE.search(e.name)]
    return sorted(found)


def _subdirs(root: Path) -> list[Path]:
    with os.scandir(root) as it:
        return [Path(e.path) for e in it if e.is_dir()]


def _load(spec: TaskSpec, data_root: Path, check: TaskCheck, options: dict[str, Any]) -> list[Sample]:
    """Load the task's samples into `check` (records, malformed ones, a load error); the samples loaded."""
    try:
        loaded = load_samples(spec, data_root, None, options)
    except TarsierEvalError as exc:  # a file that is not valid JSON, a loader's own refusal
        check.load_error = str(exc)
        return []
    check.records, check.issues = len(loaded.samples), loaded.issues
    known, official = {a.found for a in check.annotations}, set(spec.sources.sha256.values())
    for rel, sha in loaded.files.items():  # files the loader read besides the listed ones (e.g. a version option)
        if rel not in known:  # under an alias its official name is unknown here: compare with every official file
            expected = spec.sources.sha256.get(rel) or (sha if sha in official else None)
            check.annotations.append(AnnotationCheck(rel, (rel,), rel, sha, expected))
    return loaded.samples


def check_task(spec: TaskSpec, data_root: Path, loader_options: dict[str, Any] | None = None) -> TaskCheck:
    """The data check of one task under `data_root` (the folder holding each benchmark's folder).

    A loader option the loader does not take is a UsageError (bad usage, exit 2); anything wrong with the data
    is reported in the TaskCheck."""
    make_loader(spec, loader_options)  # validates the options before anything is read
    root = task_data_root(spec, data_root)
    check = TaskCheck(spec.name, spec.benchmark, str(root),
                      [check_annotation(root, a, spec.sources) for a in spec.annotations], spec.sources)  # fmt: skip
    if spec.data_dir and root != data_root / spec.data_dir:
        check.notes.append(f"no folder {data_root / spec.data_dir}: looked in {root} itself")
    samples: list[Sample] = []
    if all(a.found for a in check.annotations):
        samples = _load(spec, data_root, check, loader_options or {})
    check.media, check.to_probe = check_media(root, samples)
    if not check.complete:
        check.archives = find_archives(root)
    return check
