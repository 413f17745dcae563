"""Schema of results/reference: every published table loads, validates and rebuilds its printed cells exactly."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
import yaml

from tarsier_eval.errors import ConfigError
from tarsier_eval.report.reference import REFERENCE_DIR, Cell, load_reference
from tarsier_eval.report.render import render
from tarsier_eval.report.tables import LAYOUTS, build_view

REF = load_reference()
RAW = yaml.safe_load((REFERENCE_DIR / "tarsier2.yaml").read_text())


def test_every_paper_table_is_present_with_its_number():
    assert {k: t.number for k, t in REF.tables.items()} == {
        "dream1k": 1,
        "etbench-cap": 2,
        "short-qa": 3,
        "long-qa": 4,
        "hallucination": 5,
        "etbench-gnd": 6,
        "embodied": 7,
    }
    assert REF.paper["arxiv"] == "2501.07888" and REF.paper["version_transcribed"]
    assert set(LAYOUTS) == set(REF.tables) | {"summary"}


def printed(line: dict[str, str]) -> str:
    """A CSV line back to the printed text of its value: "71.6*", "64.5 (128f)", "-"."""
    if line["value"] == "":
        return "-"
    return (
        line["value"]
        + ("*" if line["seen_in_training"] == "1" else "")
        + (f" ({line['frames']}f)" if line["frames"] else "")
    )


@pytest.mark.parametrize("key", list(RAW["tables"]))
def test_csv_rebuilds_every_published_cell_verbatim(key):
    """Rebuilding the table from its CSV (one line per number) yields exactly the printed cells, row by row, "-" kept;
    a sub-table prints only the rows that have a value in it (Table 7), every other table every cell."""
    view = build_view(key, REF, [], with_reference=True)
    lines = list(csv.DictReader(io.StringIO(render(view, "csv"))))
    models = list(dict.fromkeys(x["model"] for x in lines))  # print order (sub-tables: one after the other)
    assert sorted(models) == sorted(r["model"] for r in RAW["tables"][key]["rows"])
    if not RAW["tables"][key].get("subtables"):
        assert models == [r["model"] for r in RAW["tables"][key]["rows"]]
    got = {(x["model"], x["part"]): x for x in lines}
    for raw in RAW["tables"][key]["rows"]:
        for col, cell in zip(RAW["tables"][key]["columns"], raw["cells"], strict=True):
            lines_of_cell = [got.get((raw["model"], p)) for p in col["parts"]]
            if None in lines_of_cell:  # not printed: only in a sub-table where the row has no value
                assert RAW["tables"][key].get("subtables") and cell == "-" and set(lines_of_cell) == {None}
                continue
            want = "/".join(["-"] * len(col["parts"])) if cell == "-" else cell
            assert "/".join(printed(x) for x in lines_of_cell) == want
            for x in lines_of_cell:
                assert x["mark"] == raw.get("mark", "") and x["grey"] == str(int(raw.get("grey", False)))
                assert x["value"] == "" or isinstance(float(x["value"]), float)  # a plain number


def test_anchor_numbers_cross_checked_against_the_v2_abstract():
    dream = REF.tables["dream1k"]
    ours, gpt4o, gemini = (dream.row(m).values["overall_f1"].value for m in ("Tarsier2-7B", "GPT-4o", "Gemini-1.5-Pro"))
    assert round(ours - gpt4o, 1) == 2.8 and round(ours - gemini, 1) == 5.8  # "+2.8% over GPT-4o, +5.8% over Gemini"
    assert REF.tables["short-qa"].row("Tarsier2-7B").values["tvbench"].value == 54.7  # tasks/tvbench.yaml


def test_footnote_marks_and_subset_grey_are_data():
    short = REF.tables["short-qa"]
    assert short.row("Tarsier2-7B").values["perceptiontest"] == Cell("71.6*", 71.6, star=True)
    assert REF.tables["long-qa"].row("Tarsier2-7B").values["mlvu"].frames == 256
    assert REF.tables["long-qa"].row("GPT-4o").values["mmbench_video"].number == "1.87"
    assert all(r.grey for r in REF.tables["etbench-gnd"].rows if r.group == "proprietary")
    assert REF.tables["etbench-gnd"].row("E.T. Chat").mark == "†"


def test_every_part_maps_to_a_task_metric():
    for key, table in REF.tables.items():
        for part in table.parts:
            m = REF.mapping[key][part]
            assert set(m) >= {"task", "subset", "metric"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["tables"]["long-qa"]["rows"][0]["cells"].pop(), "cells for"),
        (lambda d: d["tables"]["long-qa"]["rows"][0]["cells"].__setitem__(4, 1.87), "quoted string"),
        (lambda d: d["tables"]["short-qa"]["rows"][0]["cells"].__setitem__(4, "54.0/38.2"), "values for"),
        (lambda d: d["tables"]["short-qa"]["rows"][0].__setitem__("group", "huge"), "unknown group"),
        (lambda d: d["tables"]["short-qa"]["rows"][0]["cells"].__setitem__(0, "n.a."), "not a printed number"),
        (lambda d: d["tables"]["short-qa"]["columns"][0].__setitem__("cite", "MVBenchmark"), "not in `benchmarks`"),
        (lambda d: d["benchmarks"]["MLVU"].__setitem__("key", "zhou2099"), "not in benchmarks.bib"),
        (lambda d: d["tables"]["embodied"]["subtables"].pop(), "subtables must name every column"),
        (lambda d: d["tables"]["dream1k"]["marks"]["bold"].__setitem__("among", "tiny"), "among unknown group"),
        (lambda d: d["tables"]["dream1k"]["marks"]["bold"].__setitem__("parts", ["mvbench"]), "outside the table"),
        (lambda d: d["tables"]["dream1k"].pop("marks"), "no `marks`"),
        (lambda d: d["tables"]["long-qa"]["rows"][-2]["cite"].pop(), "citations for"),
        (lambda d: d["figure1"][0].__setitem__("benchmark", "DREAM-2K"), "not in `benchmarks`"),
    ],
)
def test_schema_violations_are_named(tmp_path, edit, message):
    raw = yaml.safe_load((REFERENCE_DIR / "tarsier2.yaml").read_text())
    edit(raw)
    (tmp_path / "tarsier2.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    for name in ("mapping.yaml", "benchmarks.bib"):
        shutil.copy(REFERENCE_DIR / name, tmp_path / name)
    with pytest.raises(ConfigError, match=message):
        load_reference(tmp_path)


def test_unmapped_part_is_rejected(tmp_path):
    for name in ("tarsier2.yaml", "benchmarks.bib"):
        shutil.copy(REFERENCE_DIR / name, tmp_path / name)
    mapping = yaml.safe_load((REFERENCE_DIR / "mapping.yaml").read_text())
    del mapping["long-qa"]["mlvu"]
    (tmp_path / "mapping.yaml").write_text(yaml.safe_dump(mapping))
    with pytest.raises(ConfigError, match="mlvu"):
        load_reference(tmp_path)


def test_benchmark_citations_resolve_to_bibtex_entries():
    """Every benchmark of the paper has its citation number (as Figure 1 and Tables 3-5 print it) and an entry."""
    assert {b.name: b.ref for b in REF.benchmarks.values() if b.ref} == {
        "DREAM-1K": 105, "E.T. Bench": 67, "MVBench": 57, "PerceptionTest": 86, "TVBench": 25, "TOMATO": 94,
        "Vinoground": 123, "TempCompass": 69, "Video-MME": 31, "LongVideoBench": 110, "TemporalBench": 12,
        "MLVU": 128, "MMBench-Video": 30, "VideoHallucer": 109, "EventHallusion": 122,
    }  # fmt: skip
    for b in REF.benchmarks.values():
        entry = REF.bib[b.key]
        assert entry.startswith("@") and f"{{{b.key}," in entry and entry.endswith("}")
        assert all(f"  {field} = {{" in entry for field in ("title", "author", "year"))
    assert set(REF.bib) == {b.key for b in REF.benchmarks.values()}  # no entry without a benchmark
