"""The paper's published tables as data (results/reference/tarsier2.yaml), the column -> metric mapping (mapping.yaml)
and the BibTeX entries of the benchmarks' papers (benchmarks.bib): the project's one source of published numbers.

A printed cell such as "65.8/38.0/28.8" or "64.5 (128f)" or "74.3*" is kept verbatim (`Cell.text`) so a table
rebuilt from the data prints exactly what the paper prints; `Cell.value` is the number used for ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tarsier_eval.errors import ConfigError

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "results" / "reference"
_NUMBER = re.compile(r"^(?P<num>-?\d+(?:\.\d+)?)(?P<star>\*)?(?:\s+\((?P<frames>\d+)f\))?$")
_BIB_KEY = re.compile(r"^@\w+\{([^,\s]+),", re.MULTILINE)


@dataclass(frozen=True)
class Cell:
    """One number as printed: `text` verbatim, `value` None for "-", `star` = the benchmark's training set was seen in
    training, `frames` = the frames note ("(128f)"), `grey` = tested on a subset."""

    text: str
    value: float | None
    star: bool = False
    frames: int | None = None
    grey: bool = False

    @classmethod
    def parse(cls, text: str, grey: bool = False) -> Cell:
        text = text.strip()
        if text == "-":
            return cls(text, None, grey=grey)
        m = _NUMBER.match(text)
        if not m:
            raise ValueError(f"not a printed number: {text!r}")
        return cls(text, float(m["num"]), bool(m["star"]), int(m["frames"]) if m["frames"] else None, grey)

    @property
    def number(self) -> str:
        """The digits alone, as printed (no star, no frames note)."""
        return self.text.split(" ")[0].rstrip("*") if self.value is not None else "-"

    @property
    def note(self) -> str:
        return f"({self.frames}f)" if self.frames else ""


@dataclass(frozen=True)
class Column:
    """A printed column: `header` (benchmark), `sub` header lines below it, the `parts` of its cells, and `cite`, the
    benchmark (key of `Reference.benchmarks`) whose citation the header prints, "" for none."""

    header: str
    sub: tuple[str, ...]
    parts: tuple[str, ...]
    cite: str = ""


@dataclass
class Row:
    model: str
    group: str
    values: dict[str, Cell]  # part key -> cell
    ref: str = ""
    mark: str = ""
    grey: bool = False
    kind: str = "model"  # model | previous_sota | run
    cite: dict[str, str] = field(default_factory=dict)  # part -> citation number (Previous SOTA lines)
    printed: str = ""  # the name as printed where it differs from `model`

    @property
    def label(self) -> str:
        return self.printed or self.model


@dataclass(frozen=True)
class MarkRule:
    """The best value per part is marked: among the rows of `among` (None: every row), over `parts` (None: all)."""

    among: str | None = None
    parts: tuple[str, ...] | None = None


@dataclass
class Table:
    key: str
    number: int
    caption: str
    columns: list[Column]
    rows: list[Row]
    marks: dict[str, MarkRule]  # "bold" / "underline" -> rule; a mark without a rule is not used
    group_labels: dict[str, str] = field(default_factory=dict)
    subtables: list[tuple[str, ...]] = field(default_factory=list)  # column headers per printed sub-table
    run_group: str = "small"

    @property
    def parts(self) -> list[str]:
        return [p for c in self.columns for p in c.parts]

    def row(self, model: str) -> Row | None:
        return next((r for r in self.rows if r.model == model and r.kind != "run"), None)


@dataclass(frozen=True)
class Benchmark:
    """A benchmark's paper: the citation number the Tarsier2 paper prints (None: none), its BibTeX key, arXiv id."""

    name: str
    ref: int | None
    key: str
    arxiv: str | None


@dataclass(frozen=True)
class Published:
    """One published number of one model and where it lives in our scores.json (through mapping.yaml)."""

    table: str
    part: str
    task: str
    subset: str
    metric: str
    value: float  # as printed (the paper's scale)
    scale: float  # our value x scale = the paper's scale


@dataclass
class Reference:
    paper: dict[str, Any]
    ours: str
    groups: dict[str, str]
    tables: dict[str, Table]
    figure1: list[dict[str, Any]]
    mapping: dict[str, dict[str, dict[str, Any]]]
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)
    bib: dict[str, str] = field(default_factory=dict)  # BibTeX key -> entry text

    def group_label(self, table: Table, group: str) -> str:
        return table.group_labels.get(group, self.groups.get(group, group))

    def published(self, model: str) -> list[Published]:
        """Every number the paper prints for `model` (case-insensitive, e.g. tarsier2-7b), with its task/subset/metric."""
        out = []
        for key, table in self.tables.items():
            for row in table.rows:
                if row.model.lower() != model.lower() or row.kind != "model":
                    continue
                for part, cell in row.values.items():
                    if cell.value is not None:
                        m = self.mapping[key][part]
                        out.append(
                            Published(
                                key, part, m["task"], m["subset"], m["metric"], cell.value, float(m.get("scale", 1))
                            )
                        )
        return out


def _columns(key: str, raw: list[dict[str, Any]], benchmarks: dict[str, Benchmark]) -> list[Column]:
    columns = []
    for c in raw:
        sub = c.get("sub", ())
        cite = str(c.get("cite", ""))
        if cite and cite not in benchmarks:
            raise ConfigError(f"reference {key}/{c['header']}: cite {cite!r} is not in `benchmarks`")
        columns.append(Column(c["header"], (sub,) if isinstance(sub, str) else tuple(sub), tuple(c["parts"]), cite))
    return columns


def _row(key: str, r: dict[str, Any], columns: list[Column], groups: dict[str, str]) -> Row:
    cells, where, grey = r["cells"], f"{key}/{r.get('model')}", bool(r.get("grey", False))
    if len(cells) != len(columns):
        raise ConfigError(f"reference {where}: {len(cells)} cells for {len(columns)} columns")
    if r.get("group") not in groups:
        raise ConfigError(f"reference {where}: unknown group {r.get('group')!r}")
    cite = [str(c) for c in r.get("cite", ())]
    if cite and len(cite) != len(columns):
        raise ConfigError(f"reference {where}: {len(cite)} citations for {len(columns)} columns")
    values: dict[str, Cell] = {}
    for col, text in zip(columns, cells, strict=True):
        if not isinstance(text, str):
            raise ConfigError(f"reference {where}: cell {text!r} must be a quoted string (keeps '1.30' exact)")
        pieces = text.split("/") if text != "-" else ["-"] * len(col.parts)
        if len(pieces) != len(col.parts):
            raise ConfigError(f"reference {where}: {text!r} has {len(pieces)} values for {col.parts}")
        for part, piece in zip(col.parts, pieces, strict=True):
            try:
                values[part] = Cell.parse(piece, grey)
            except ValueError as e:
                raise ConfigError(f"reference {where}: {e}") from e
    return Row(
        model=r["model"],
        group=r["group"],
        values=values,
        ref=str(r.get("ref", "")),
        mark=r.get("mark", ""),
        grey=grey,
        kind=r.get("kind", "model"),
        cite={p: c for col, c in zip(columns, cite, strict=False) for p in col.parts},
        printed=str(r.get("printed", "")),
    )


def _marks(key: str, raw: dict[str, Any], parts: list[str], groups: dict[str, str]) -> dict[str, MarkRule]:
    out = {}
    for mark, rule in (raw or {}).items():
        rule = rule or {}
        if mark not in ("bold", "underline") or set(rule) - {"among", "parts"}:
            raise ConfigError(f"reference {key}: marks takes bold/underline rules with among/parts, got {mark}: {rule}")
        if rule.get("among") is not None and rule["among"] not in groups:
            raise ConfigError(f"reference {key}: marks.{mark} among unknown group {rule['among']!r}")
        if any(p not in parts for p in rule.get("parts") or ()):
            raise ConfigError(f"reference {key}: marks.{mark} names parts outside the table: {rule['parts']}")
        out[mark] = MarkRule(rule.get("among"), tuple(rule["parts"]) if rule.get("parts") else None)
    return out


def _table(key: str, raw: dict[str, Any], groups: dict[str, str], benchmarks: dict[str, Benchmark]) -> Table:
    columns = _columns(key, raw["columns"], benchmarks)
    rows = [_row(key, r, columns, groups) for r in raw["rows"]]
    subtables = [tuple(s) for s in raw.get("subtables", [])]
    if subtables and sorted(h for s in subtables for h in s) != sorted(c.header for c in columns):
        raise ConfigError(f"reference {key}: subtables must name every column header once, got {subtables}")
    if "marks" not in raw:
        raise ConfigError(f"reference {key}: no `marks` (say which values are bold/underlined, or marks: {{}})")
    return Table(
        key,
        int(raw["number"]),
        " ".join(raw["caption"].split()),
        columns,
        rows,
        _marks(key, raw["marks"], [p for c in columns for p in c.parts], groups),
        dict(raw.get("group_labels", {})),
        subtables,
        str(raw.get("run_group", "small")),
    )


def _benchmarks(raw: dict[str, Any], bib_text: str) -> tuple[dict[str, Benchmark], dict[str, str]]:
    starts = [(m.start(), m.group(1)) for m in _BIB_KEY.finditer(bib_text)]
    bib = {
        k: bib_text[s : (starts[i + 1][0] if i + 1 < len(starts) else len(bib_text))].strip()
        for i, (s, k) in enumerate(starts)
    }
    out = {}
    for name, b in raw.items():
        if b["key"] not in bib:
            raise ConfigError(f"benchmarks.{name}: BibTeX key {b['key']!r} is not in benchmarks.bib")
        out[name] = Benchmark(name, None if b.get("ref") is None else int(b["ref"]), b["key"], b.get("arxiv"))
    return out, bib


def load_reference(directory: Path = REFERENCE_DIR) -> Reference:
    """Load and validate tarsier2.yaml + mapping.yaml + benchmarks.bib; raises ConfigError naming the offending entry."""
    try:
        raw = yaml.safe_load((directory / "tarsier2.yaml").read_text(encoding="utf-8"))
        mapping = yaml.safe_load((directory / "mapping.yaml").read_text(encoding="utf-8"))
        bib_text = (directory / "benchmarks.bib").read_text(encoding="utf-8")
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read reference data in {directory}: {e}") from e
    groups = dict(raw["groups"])
    benchmarks, bib = _benchmarks(raw.get("benchmarks") or {}, bib_text)
    tables = {k: _table(k, t, groups, benchmarks) for k, t in raw["tables"].items()}
    for key, table in tables.items():
        missing = [p for p in table.parts if p not in mapping.get(key, {})]
        if missing:
            raise ConfigError(f"mapping.yaml: table {key} has no mapping for {missing}")
    for entry in raw.get("figure1", []):
        table = tables.get(entry["table"])
        if table is None or any(p not in table.parts for p in entry["parts"]):
            raise ConfigError(f"figure1 entry {entry['benchmark']}: unknown table or parts")
        if entry["benchmark"] not in benchmarks:
            raise ConfigError(f"figure1 entry {entry['benchmark']}: not in `benchmarks` (its citation)")
    return Reference(
        dict(raw["paper"]), raw["ours"], groups, tables, list(raw.get("figure1", [])), mapping, benchmarks, bib
    )
