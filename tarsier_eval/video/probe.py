"""Probing media for the data doctor: decode each sample's frames as a run would, in parallel, and name the
ones that fail (`tarsier-eval data check --probe`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tarsier_eval.data.sample import Media
from tarsier_eval.task import VideoSettings
from tarsier_eval.video.decode import get_backend
from tarsier_eval.video.media import raw_frames

Job = tuple[str, Media, VideoSettings, "str | None"]


def probe_one(task_root: str, media: Media, settings: VideoSettings, backend: str | None = None) -> str | None:
    """Why the frames a run would sample from `media` cannot be read, or None when they can."""
    try:
        raw_frames(Path(task_root), media, settings, get_backend(backend))
    except Exception as exc:  # any failure is this file's finding; the probe goes on with the others
        return f"{type(exc).__name__}: {exc}"
    return None


def _probe(job: Job) -> str | None:
    return probe_one(*job)


def probe_media(
    task_root: Path, media: list[Media], settings: VideoSettings, *, workers: int = 1, backend: str | None = None,
    desc: str = "probe", progress: bool = True,
) -> dict[str, str]:  # fmt: skip
    """media path -> reason, for every media whose sampled frames do not decode; `workers` processes, a tqdm bar
    on stderr."""
    if not media:
        return {}
    from tqdm import tqdm

    jobs = [(str(task_root), m, settings, backend) for m in media]
    with tqdm(total=len(jobs), desc=desc, unit="media", file=sys.stderr, disable=not progress) as bar:
        if workers <= 1:
            return _collect(jobs, map(_probe, jobs), bar)
        with ProcessPoolExecutor(workers) as pool:
            return _collect(jobs, pool.map(_probe, jobs, chunksize=4), bar)


def _collect(jobs: list[Job], results: Iterable[str | None], bar: Any) -> dict[str, str]:
    failures: dict[str, str] = {}
    for (_, media, _, _), reason in zip(jobs, results, strict=True):
        if reason is not None:
            failures.setdefault(media.path, reason)
        bar.update()
    return failures
