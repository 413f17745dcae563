"""Loading a task's samples: the task's loader reads records, and this module builds every Sample from them."""

from __future__ import annotations

import inspect
import posixpath
from pathlib import Path, PureWindowsPath
from typing import Any

from tarsier_eval.data.files import AnnotationFiles
from tarsier_eval.data.options import render_options
from tarsier_eval.data.records import RECORD_ERRORS, Item, Loader, Record, RecordError
from tarsier_eval.data.sample import LoadIssue, LoadResult, Media, Sample, SourceRef
from tarsier_eval.errors import ConfigError, UsageError
from tarsier_eval.registry import LOADERS
from tarsier_eval.task import TaskSpec


def make_loader(spec: TaskSpec, options: dict[str, Any] | None = None) -> Loader:
    """The task's loader with its YAML options overridden by `options`; an option it does not take is a usage
    error naming the ones it does."""
    if spec.loader is None:
        raise ConfigError(f"task {spec.name} has no loader")
    cls = LOADERS.get(spec.loader.name)
    merged = {**spec.loader.options, **(options or {})}
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "spec")]
    unknown = sorted(set(merged) - set(accepted))
    if unknown:
        raise UsageError(f"task {spec.name}: loader {spec.loader.name} takes no option {unknown} "
                         f"(accepted: {', '.join(accepted) or 'none'})")  # fmt: skip
    return cls(spec, **merged)


def render_prompt(spec: TaskSpec, record: Record) -> str:
    """The record's verbatim prompt, or its template from the YAML `prompt:` section filled with its fields."""
    if record.prompt is not None:
        return record.preamble + record.prompt
    cfg = spec.prompt
    fields: dict[str, Any] = {"question": record.question}
    if record.options is not None:
        fields["options"] = "\n".join(render_options(record.options, cfg.get("option_style", "({letter}) {text}")))
    fields.update(record.fields)
    default = "{question}\n{options}" if "options" in fields else "{question}"
    template = cfg.get("template", default) if record.template is None else cfg["templates"][record.template]
    return record.preamble + template.format(**fields)


def confined(path: str) -> str:
    """`path` normalised, which must stay inside the task's data folder: an absolute path or one that climbs out
    with ".." (however it is spelled) is a RecordError. Only the text is checked, so symlinks the user placed
    inside the data root (video folders on other storage) keep working."""
    as_posix = posixpath.normpath(path.replace("\\", "/"))  # a Windows-style "..\\" climbs out too
    if posixpath.isabs(as_posix) or PureWindowsPath(path).drive or as_posix == ".." or as_posix.startswith("../"):
        raise RecordError(f"media path {path!r} leaves the benchmark's data folder")
    return posixpath.normpath(path)


def _media(spec: TaskSpec, record: Record) -> Media:
    media = record.media
    base = "" if record.media_in_task_root or not spec.media_dir else f"{spec.media_dir}/"
    path = confined(base + media.path) if media.kind != "none" else media.path
    return Media(path, media.kind, media.start, media.end, tuple(confined(base + i) for i in media.images))


def build_sample(spec: TaskSpec, file: str, record: Record) -> Sample:
    """The Sample of one record: prompt, system prompt, assistant prefix, id and media path settled here."""
    prefix = spec.prompt.get("response_prefix") if record.use_prefix else None
    return Sample(
        sample_id=f"{spec.name}/{record.id}",
        task=spec.name,
        subset=record.subset,
        media=_media(spec, record),
        prompt=render_prompt(spec, record),
        answer=record.answer,
        source=SourceRef(file, record.pointer),
        options=record.options,
        system=spec.prompt.get("system"),
        response_prefix=prefix,
        meta=record.meta,
    )


def _add_records(loader: Loader, item: Item, result: LoadResult, seen: dict[str, str]) -> None:
    spec = loader.spec
    try:
        for record in loader.records(item):
            if isinstance(record, RecordError):
                result.issues.append(LoadIssue(item.file, record.pointer or item.pointer, str(record)))
                continue
            sample = build_sample(spec, item.file, record)
            if sample.sample_id in seen:
                where = seen[sample.sample_id]
                result.issues.append(LoadIssue(item.file, record.pointer, f"duplicate id {sample.sample_id} ({where})"))
                continue
            seen[sample.sample_id] = f"first at {item.file}#{record.pointer}"
            result.samples.append(sample)
    except RecordError as exc:
        result.issues.append(LoadIssue(item.file, exc.pointer or item.pointer, str(exc)))
    except RECORD_ERRORS as exc:
        result.issues.append(LoadIssue(item.file, item.pointer, f"malformed record: {exc!r}"))


def load_samples(
    spec: TaskSpec, data_root: Path, limit: int | None = None, options: dict[str, Any] | None = None
) -> LoadResult:
    """Every sample of the task (the first `limit`), the records that could not be used, and annotation checksums."""
    loader = make_loader(spec, options)
    result = LoadResult(samples=[])
    files = AnnotationFiles(spec, Path(data_root), result)
    seen: dict[str, str] = {}
    for item in loader.items(files):
        _add_records(loader, item, result, seen)
    if limit is not None:
        result.samples = result.samples[:limit]
    return result
