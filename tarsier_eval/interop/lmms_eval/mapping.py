"""lmms-eval documents -> our sample ids, by content (tasks.Content), never by position.

For each document (in lmms-eval task, doc_id order): the samples with its key, then those whose hard checks
(gold answer) agree, then, among several, those whose soft checks (video) agree.
- one sample: mapped.
- several samples the log cannot tell apart (v0.4+ TVBench/MVBench logs name no video; TVBench has many questions
  with the same text, options and answer on different videos) that share subset, options and answer: every
  scorer gives the same numbers whichever reply goes to which of them, so the group's documents are given to its
  samples in doc_id order, and this is reported.
- several samples that differ in any of these (TVBench Action Count: lmms-eval's target gives the same letter for
  different answers): ambiguous, an error unless `on_ambiguous` is "skip" (then reported and left out).
- none: unmapped, with the reason (reported, left out).
Two lines with the same lmms-eval task and doc_id are the same document; a group with more documents than samples
has duplicates too. Duplicates follow `on_duplicate` (error, first, last) in the order the lines were read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tarsier_eval.data.sample import Sample
from tarsier_eval.errors import UsageError
from tarsier_eval.interop.lmms_eval.logs import LogRecord
from tarsier_eval.interop.lmms_eval.tasks import Benchmark, Content, Unidentifiable


@dataclass
class Match:
    record: LogRecord
    sample_id: str | None
    status: str  # mapped | grouped | duplicate | unmapped | ambiguous
    reason: str = ""


@dataclass
class Mapping:
    matches: list[Match] = field(default_factory=list)
    video_differs: list[Match] = field(default_factory=list)

    def of(self, *statuses: str) -> list[Match]:
        return [m for m in self.matches if m.status in statuses]

    def predictions(self) -> list[tuple[str, str]]:
        """(sample_id, reply) of every mapped document, in the order the lines were read."""
        kept = [m for m in self.matches if m.status in ("mapped", "grouped") and m.sample_id is not None]
        return [(m.sample_id, m.record.response) for m in kept]  # type: ignore[misc]


def _agree(sample: Content, doc: Content, which: str) -> bool:
    ours, theirs = getattr(sample, which), getattr(doc, which)
    return all(ours[k] == v for k, v in theirs.items() if k in ours)


def _interchangeable(pool: list[Sample]) -> bool:
    first = pool[0]
    return all((s.subset, s.answer, s.options) == (first.subset, first.answer, first.options) for s in pool)


def _order(record: LogRecord) -> tuple[str, int, str, int]:
    doc_id = record.doc_id
    return (record.lmms_task, doc_id if isinstance(doc_id, int) else -1, str(doc_id), record.line)


class Matcher:
    def __init__(self, bench: Benchmark, samples: list[Sample]):
        self.bench = bench
        self.contents = {s.sample_id: bench.sample_content(s) for s in samples}
        self.index: dict[tuple, list[Sample]] = defaultdict(list)
        for sample in samples:
            self.index[self.contents[sample.sample_id].key].append(sample)
        self.given: dict[tuple[str, ...], int] = defaultdict(int)  # documents handed to each group so far
        self.seen: dict[tuple[str, str], str | None] = {}  # (lmms task, doc_id) -> sample id

    def match(self, record: LogRecord, mapping: Mapping) -> Match:
        same_doc = (record.lmms_task, str(record.doc_id))
        if same_doc in self.seen:
            return Match(record, self.seen[same_doc], "duplicate", "the same lmms-eval task and doc_id again")
        found = self._match_new(record, mapping)
        self.seen[same_doc] = found.sample_id
        return found

    def _match_new(self, record: LogRecord, mapping: Mapping) -> Match:
        try:
            doc = self.bench.doc_content(record)
        except Unidentifiable as exc:
            return Match(record, None, "unmapped", str(exc))
        candidates = self.index.get(doc.key, [])
        if not candidates:
            return Match(record, None, "unmapped", f"no {self.bench.task} sample has its {self.bench.identity}")
        agreeing = [s for s in candidates if _agree(self.contents[s.sample_id], doc, "hard")]
        if not agreeing:
            ids = ", ".join(s.sample_id for s in candidates[:3])
            return Match(record, None, "unmapped", f"same question as {ids} but a different {', '.join(doc.hard)}")
        pool = [s for s in agreeing if _agree(self.contents[s.sample_id], doc, "soft")] or agreeing
        if len(pool) == 1:
            found = Match(record, pool[0].sample_id, "mapped")
            if doc.soft and not _agree(self.contents[pool[0].sample_id], doc, "soft"):
                mapping.video_differs.append(found)
            return found
        if not _interchangeable(pool):
            ids = ", ".join(s.sample_id for s in pool[:4])
            return Match(record, None, "ambiguous", f"matches {len(pool)} samples with different answers ({ids})")
        group = tuple(s.sample_id for s in pool)
        index = self.given[group]
        self.given[group] += 1
        status = "grouped" if index < len(pool) else "duplicate"
        return Match(record, group[index % len(pool)], status, f"one of {len(pool)} samples the log cannot tell apart")


def _resolve_duplicates(matches: list[Match], on_duplicate: str) -> None:
    """Keep one document per sample: the first or the last read, or refuse (`error`)."""
    by_sample: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        if m.sample_id is not None:
            by_sample[m.sample_id].append(m)
    for sample_id, found in by_sample.items():
        if len(found) < 2:
            continue
        if on_duplicate == "error":
            raise UsageError(f"{found[1].record.where} is the same {sample_id} as {found[0].record.where} "
                             "(use --on-duplicate first|last to choose)")  # fmt: skip
        keep = found[0] if on_duplicate == "first" else found[-1]
        status = next((m.status for m in found if m.status != "duplicate"), "mapped")
        for m in found:
            if m is keep:
                m.status = status
            else:
                m.status, m.reason = "duplicate", f"another document for {sample_id} was kept (--on-duplicate)"


def _refuse_ambiguous(matches: list[Match]) -> None:
    ambiguous = [m for m in matches if m.status == "ambiguous"]
    if ambiguous:
        shown = "; ".join(f"{m.record.where}: {m.reason}" for m in ambiguous[:3])
        raise UsageError(f"{len(ambiguous)} lmms-eval documents match several samples that score differently and the "
                         f"log cannot tell which: {shown} (--on-ambiguous skip leaves them out, reported)")  # fmt: skip


def map_documents(bench: Benchmark, samples: list[Sample], records: list[LogRecord], *, on_duplicate: str,
                  on_ambiguous: str = "error") -> Mapping:  # fmt: skip
    """Every log record matched to a sample (or not); records keep the order they were read in."""
    matcher, mapping = Matcher(bench, samples), Mapping()
    found = {id(r): matcher.match(r, mapping) for r in sorted(records, key=_order)}
    mapping.matches = [found[id(r)] for r in records]
    if on_ambiguous == "error":
        _refuse_ambiguous(mapping.matches)
    _resolve_duplicates(mapping.matches, on_duplicate)
    return mapping
