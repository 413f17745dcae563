"""Paper-layout tables with our runs: mapping, marks per table rule, sub-tables, the summary, md/html/csv, the CLI."""

from __future__ import annotations

import csv
import io

import pytest

from tarsier_eval.report import commands
from tarsier_eval.report.latex import bibtex, to_latex
from tarsier_eval.report.reference import load_reference
from tarsier_eval.report.render import render
from tarsier_eval.report.runs import load_run
from tarsier_eval.report.tables import build_view, split_view
from tarsier_eval.scoring.types import TaskScores
from tests.unit.test_paper_layouts import TEX, compile_tex, tabulars
from tests.unit.test_report_fixtures import write_run

REF = load_reference()


@pytest.fixture
def runs(tmp_path):
    vh = TaskScores(
        "videohallucer",
        "accuracy",
        {"overall": {"basic_accuracy": 90.0, "halluc_accuracy": 70.0, "accuracy": 68.0}},
        [],
    )
    tv = TaskScores("tvbench", "accuracy", {"overall": {"accuracy": 55.04}}, [])
    ego = TaskScores("egotaskqa", "accuracy", {"overall": {"accuracy": 78.25, "exact_match_direct": 78.25}}, [])
    a = load_run(write_run(tmp_path, "run-a", [vh, tv, ego], model="Tarsier2-7B"))
    b = load_run(write_run(tmp_path, "run-b", [tv], model="my-7b"))
    return a, b


def names(view) -> list[str]:
    return [r.model for r in view.rows]


def test_runs_join_their_scale_group_and_take_the_marks(runs):
    view = build_view("hallucination", REF, list(runs), with_reference=True)
    rows = names(view)
    # after the published <=10B rows: the runs close the small group
    assert rows[-3:] == ["Tarsier2-7B", "Tarsier2-7B (run-a)", "my-7b"]
    i = rows.index("Tarsier2-7B (run-a)")
    assert view.rows[i].values["vh_overall"].text == "68.0"
    assert view.rows[rows.index("my-7b")].values["vh_overall"].text == "-"
    # 68.0 beats every <=10B row (Tarsier2-7B 67.0) but not Qwen2-VL-72B's 70.2 overall
    assert (i, "vh_overall") in view.bold and (i, "vh_overall") not in view.underline
    assert (rows.index("Qwen2-VL-72B"), "vh_overall") in view.underline
    assert (i, "vh_basic") in view.underline  # 90.0 beats LLaVA-OV-72B's 88.3


def test_published_marks_follow_the_paper_rules():
    view = build_view("short-qa", REF, [], with_reference=True)
    rows = names(view)
    t2, q72 = rows.index("Tarsier2-7B"), rows.index("Qwen2-VL-72B")
    assert (t2, "tvbench") in view.bold and (t2, "tvbench") in view.underline
    assert (t2, "mvbench") in view.bold and (q72, "mvbench") in view.underline  # 71.5 vs 73.6
    sota = rows.index("Previous SOTA")  # never competes (72.0 MVBench would win)
    assert not any(i == sota for i, _ in view.bold | view.underline)
    gnd = build_view("etbench-gnd", REF, [], with_reference=True)
    gemini = names(gnd).index("Gemini-1.5-Flash")  # grey 43.9 TVG is a subset result
    assert (gemini, "tvg_f1") not in gnd.underline


def test_embodied_is_three_subtables_bolding_as_printed(runs):
    view = build_view("embodied", REF, [], with_reference=True)
    printed = [[view.rows[i].label for i in p.rows] for p in view.panels]
    assert printed == [
        ["Human", "HCRN", "GF", "EgoVLPv2", "Tarsier2"],
        ["LLaMA-AdapterV2", "LLaVA-OV-7B", "RoboMamba", "MLCD", "Tarsier2"],
        ["Human", "GPT-4V", "Gemini-1.5-Pro", "MLCD", "Tarsier2"],
    ]
    t2 = names(view).index("Tarsier2-7B")
    assert view.bold == {(t2, "egotaskqa"), (t2, "openeqa")} and view.underline == set()
    assert " - |" not in render(view, "md") and "-/-" not in render(view, "md")  # no filler cells
    # a run joins every sub-table, below Tarsier2; its better EgoTaskQA takes the bold, RoboVQA stays unmarked
    ours = build_view("embodied", REF, list(runs), with_reference=True)
    run = names(ours).index("Tarsier2-7B (run-a)")
    assert all(p.rows[-3:] == [run - 1, run, run + 1] for p in ours.panels)  # Tarsier2, run-a, my-7b
    assert ours.bold == {(run, "egotaskqa"), (run - 1, "openeqa")}


def test_summary_marks_grey_and_sota_names(runs):
    view = build_view("summary", REF, list(runs), with_reference=True)
    rows = {r.model: r for r in view.rows}
    sota = names(view).index("Previous SOTA (7B)")
    assert rows["Previous SOTA (7B)"].kind == "previous_sota"
    assert not any(i == sota for i, _ in view.bold | view.underline)  # MVBench 72.0, MLVU 70.9 do not compete
    t2 = names(view).index("Tarsier2-7B")
    assert (t2, "MVBench") in view.bold and (t2, "MVBench") in view.underline
    assert rows["GPT-4o"].values["E.T. Bench"].grey and rows["GPT-4o"].values["E.T. Bench"].text == "27.9"
    assert not rows["GPT-4o"].values["Video-MME"].grey
    heads = {c.header: c.sub[0] for c in view.columns}
    assert (
        heads["LongVideoBench"] == "InternVL2.5-8B"
        and rows["Previous SOTA (7B)"].values["LongVideoBench"].text == "60.0"
    )
    assert heads["MLVU"] == "Apollo-7B" and heads["MVBench"] == "InternVL2.5-8B"
    assert any("LongVideoBench: Figure 1's legend names Apollo-7B" in n for n in view.notes)
    assert "Grey: tested on a subset." in view.notes
    assert rows["my-7b"].values["TVBench"].text == "55.0" and rows["my-7b"].values["DREAM-1K"].text == "-"
    assert (names(view).index("my-7b"), "TVBench") in view.bold | view.underline  # 55.0 > 54.7


def test_markdown_and_html_keep_citations_footnotes_and_spans(runs):
    md = render(build_view("short-qa", REF, list(runs), with_reference=True), "md")
    assert md.startswith("**Table 3: Evaluation results on short video question answering benchmarks.")
    assert "| Model | MVBench [57] | PerceptionTest [86] | TVBench [25] |" in md
    assert "|  | test | val | test | test | Text/Video/Group | mc/yn/cm/cg |" in md
    assert "| Tarsier2-7B | **71.5** | **71.6**\\* | 54.7 |" in md  # my-7b's 55.04 now leads TVBench
    assert "| Previous SOTA | 72.0 [20] | 70.0\\* [72] |" in md
    assert "| my-7b | - | - | **<u>55.0</u>** |" in md
    assert "Benchmarks: [57] MVBench, arXiv:2311.17005;" in md
    html = render(build_view("hallucination", REF, [], with_reference=True), "html")
    assert '<th colspan="2">EventHallusion <cite title="EventHallusion, arXiv:2409.16597">[122]</cite></th>' in html
    assert html.count("<tr><th>") == 3 and "<caption>Table 5: Evaluation results on hallucination" in html
    cap = render(build_view("etbench-cap", REF, [], with_reference=True), "html")
    assert "E.T. Chat [67]†" in cap and 'class="grey model"' in cap and "DVC<sub>F1</sub>" in cap
    assert '<span class="grey" style="color:#BFBFBF">46.9</span>' in cap
    emb = render(build_view("embodied", REF, [], with_reference=True), "html")
    assert emb.count("<table") == 3 and emb.startswith('<figure class="paper-table" id="tab-embodied">')


def test_csv_is_numbers_with_flags_in_columns(runs):
    lines = list(csv.DictReader(io.StringIO(render(build_view("short-qa", REF, [], with_reference=True), "csv"))))
    for line in lines:
        assert line["value"] == "" or float(line["value"]) >= 0
    cell = {(x["model"], x["part"]): x for x in lines}
    t2 = cell["Tarsier2-7B", "perceptiontest"]
    assert (t2["value"], t2["seen_in_training"], t2["bold"], t2["underline"]) == ("71.6", "1", "1", "0")
    sota = cell["Previous SOTA", "mvbench"]
    assert (sota["value"], sota["cite"], sota["kind"], sota["bold"]) == ("72.0", "20", "previous_sota", "0")
    assert cell["GPT-4o", "perceptiontest"]["value"] == ""  # printed "-"
    assert cell["Tarsier2-7B", "vinoground_group"]["header"] == "Vinoground"
    long = {
        (x["model"], x["part"]): x
        for x in csv.DictReader(io.StringIO(render(build_view("long-qa", REF, [], with_reference=True), "csv")))
    }
    assert (long["Tarsier2-7B", "mlvu"]["value"], long["Tarsier2-7B", "mlvu"]["frames"]) == ("67.9", "256")
    assert long["Tarsier2-7B", "mmbench_video"]["value"] == "1.82" and long["GPT-4o", "mlvu"]["frames"] == ""
    emb = list(csv.DictReader(io.StringIO(render(build_view("embodied", REF, [], with_reference=True), "csv"))))
    assert ("HCRN", "robovqa_b1") not in {(x["model"], x["part"]) for x in emb}  # not printed in the paper
    assert {x["printed_as"] for x in emb if x["model"] == "Tarsier2-7B"} == {"Tarsier2"}
    gnd = list(csv.DictReader(io.StringIO(render(build_view("etbench-gnd", REF, [], with_reference=True), "csv"))))
    assert {x["grey"] for x in gnd if x["model"] == "GPT-4o"} == {"1"}


def test_latex_caption_label_and_citations():
    tex = to_latex(build_view("long-qa", REF, [], with_reference=True))
    assert r"\caption{Evaluation results on long-video question answering benchmarks." in tex
    assert r"\label{tab:long-qa}" in tex and "Table 4" not in tex
    assert r"MLVU~\cite{zhou2024mlvu}" in tex and r"\textbf{64.5} (128f) & 58.6 (128f)" in tex
    assert r"\multicolumn{6}{l}{\textit{Open-source models ($\leq$10B)}} \\" in tex
    dream = to_latex(build_view("dream1k", REF, [], with_reference=True))
    assert r"\textbf{\underline{42.0}}/\textbf{42.8}/\textbf{\underline{41.1}}" in dream
    assert all(line.count("&") == 6 for line in dream.splitlines() if line.startswith("Tarsier"))


def test_split_keeps_a_benchmark_together():
    hall = split_view(build_view("hallucination", REF, [], with_reference=True), 2)
    assert [[c.header for c in p.columns] for p in hall.panels] == [["VideoHallucer"], ["EventHallusion"] * 2]
    summary = split_view(build_view("summary", REF, [], with_reference=True), 2)
    assert [len(p.columns) for p in summary.panels] == [7, 7] and not summary.side_by_side
    assert split_view(summary, 1).panels == summary.panels


def cli(*argv: str) -> int:
    return commands.main(["table", *argv])


def test_cli_writes_the_bib_beside_and_refuses_format_mismatches(tmp_path, capsys):
    out = tmp_path / "tables" / "t3.tex"
    assert cli("--layout", "short-qa", "--with-reference", "--format", "latex", "--output", str(out)) == 0
    bib = (tmp_path / "tables" / "t3.bib").read_text()
    assert bib.count("@") == 6 and "@inproceedings{li2024mvbench," in bib and "zhou2024mlvu" not in bib
    assert cli("--layout", "dream1k", "--format", "latex") == 0  # no citation in Table 1's headers: no note
    assert "note:" not in capsys.readouterr().err
    assert cli("--layout", "long-qa", "--format", "latex") == 0
    assert "--bib FILE (or --output) writes their BibTeX entries" in capsys.readouterr().err
    assert cli("--layout", "summary", "--format", "md", "--landscape") == 2
    assert "add --format latex" in capsys.readouterr().err
    assert cli("--layout", "summary", "--format", "csv", "--split", "2") == 2
    assert cli("--layout", "summary", "--format", "md", "--split", "0") == 2


@TEX
@pytest.mark.parametrize("layout", ["short-qa", "embodied"])
def test_latex_with_runs_compiles(tmp_path, runs, layout):
    view = build_view(layout, REF, list(runs), with_reference=True)
    (tmp_path / "t.tex").write_text(to_latex(view, standalone=True, bib_name="t"))
    if view.cited():
        (tmp_path / "t.bib").write_text(bibtex(view, REF))
    assert "undefined" not in compile_tex(tmp_path, "t").lower()
    parsed = tabulars((tmp_path / "t.tex").read_text())
    assert all("Tarsier2-7B (run-a)" in t["rows"] for t in parsed)
