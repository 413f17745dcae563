"""What loaders produce: plain records of a benchmark item, turned into Samples in one place (data/load.py).

A loader is a `Loader` subclass registered with `@LOADERS.register(name)`; its constructor takes the task's
loader options (YAML `loader.options`, then `--loader-options`). It has two steps:
- `items(files)`: walk the annotation files (read through `files`, which checksums them and reports unreadable
  lines) and yield one `Item` per annotation record, with the file and the RFC 6901 pointer of the record;
- `records(item)`: read the fields of one record and yield its `Record`s (several for a record that holds
  several questions). Raising `RecordError` (a message of the loader's own) or one of the errors that reading a
  malformed record raises (KeyError, TypeError, ValueError...) turns the record into a LoadIssue; yielding a
  `RecordError` reports one part of the record (a pointer inside it) and goes on with the rest.
data/load.py renders each record's prompt from the task YAML's `prompt:` section, attaches the system prompt and
the assistant prefix, prefixes ids with the task name and media paths with the task's media folder, and reports
duplicate ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tarsier_eval.data.sample import Media

if TYPE_CHECKING:
    from tarsier_eval.data.files import AnnotationFiles
    from tarsier_eval.task import TaskSpec


@dataclass
class Item:
    """One annotation record: the file it is in (relative to the task's data root), its pointer, its value."""

    file: str
    pointer: str
    value: Any
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    """One benchmark item as the annotation gives it.

    `id` is unique within the task (the sample id is `<task>/<id>`). `media` is relative to the task's media
    folder (`data.media_dir`), or to the task's data root when `media_in_task_root`. The prompt is `prompt` when
    the benchmark gives it verbatim, else the YAML template (`prompt.template`, or `prompt.templates[template]`)
    filled with `question`, `options` (rendered in `prompt.option_style`, unless `fields` gives them) and
    `fields`, after `preamble`. `use_prefix`: whether the assistant turn starts with `prompt.response_prefix`.
    """

    id: str
    subset: str
    media: Media
    answer: Any
    pointer: str
    question: str | None = None
    options: list[str] | None = None
    prompt: str | None = None
    template: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    preamble: str = ""
    use_prefix: bool = True
    media_in_task_root: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


class RecordError(ValueError):
    """A record (or, with `pointer`, a part of it) that cannot become a sample, and why."""

    def __init__(self, message: str, pointer: str | None = None):
        super().__init__(message)
        self.pointer = pointer


RECORD_ERRORS = (KeyError, IndexError, StopIteration, ValueError, TypeError, AttributeError, ZeroDivisionError)
"""What reading fields of a malformed annotation record raises; data/load.py turns these into LoadIssues."""


class Loader:
    """Base class of loaders; see the module docstring."""

    def __init__(self, spec: TaskSpec):
        self.spec = spec

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        raise NotImplementedError

    def records(self, item: Item) -> Iterable[Record | RecordError]:
        raise NotImplementedError


class ListLoader(Loader):
    """A loader whose annotation files are each a JSON list (or JSONL) of records."""

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        for ann in self.spec.annotations:
            yield from files.list_items(ann)
