"""`tarsier-eval report`: one self-contained static HTML page (tables, charts, a per-sample browser with filters).

Every model output, prompt and path is HTML-escaped when the page is written, and a Content-Security-Policy allows
only the page's own script (by hash): an output holding `<script>` stays text and could not run even if escaping
were bypassed. Filters: task, subset, run, correctness; the URL fragment (#task=tvbench&correct=incorrect) sets
them on load, so a filtered view can be linked.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import tempfile
from pathlib import Path

from tarsier_eval.report.reference import Reference
from tarsier_eval.report.render import to_html
from tarsier_eval.report.runs import Run
from tarsier_eval.report.tables import build_view
from tarsier_eval.rundir import SampleRow

CORRECT_THRESHOLD = 0.5

SCRIPT = """
(function () {
  var ids = ["task", "subset", "run", "correct"];
  function sel(k) { return document.getElementById("f-" + k); }
  function apply() {
    var want = {}, shown = 0;
    ids.forEach(function (k) { want[k] = sel(k).value; });
    document.querySelectorAll("tr.sample").forEach(function (tr) {
      var ok = ids.every(function (k) { return !want[k] || tr.dataset[k] === want[k]; });
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById("shown-count").textContent = String(shown);
  }
  var params = new URLSearchParams(location.hash.slice(1));
  ids.forEach(function (k) {
    if (params.has(k)) { sel(k).value = params.get(k); }
    sel(k).addEventListener("change", apply);
  });
  apply();
})();
"""

STYLE = """
body{font-family:sans-serif;margin:1.5em;max-width:1400px}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
tr.group td{background:#f4f4f4}
tr.grey td{color:#999}
tr.run td{background:#eef6ff}
pre{white-space:pre-wrap;max-width:480px;margin:0;font-size:12px}
.correct{color:#080}.incorrect{color:#b00}.unscored{color:#777}
img{max-width:100%}
"""


def correctness(sample: SampleRow) -> str:
    score = sample.score
    if not isinstance(score, (int, float)):
        return "unscored"
    return "correct" if score >= CORRECT_THRESHOLD else "incorrect"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _options(name: str, values: list[str]) -> str:
    opts = "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values)
    return f'<label>{name} <select id="f-{name}"><option value="">all</option>{opts}</select></label> '


def _scores_table(runs: list[Run]) -> str:
    keys = sorted({(t, s, m) for r in runs for t, ts in r.scores.items() for s, ms in ts.metrics.items() for m in ms})
    head = "".join(f"<th>{html.escape(r.run_id)}</th>" for r in runs)
    rows = []
    for t, s, m in keys:
        vals = "".join(f"<td>{'-' if r.value(t, s, m) is None else f'{r.value(t, s, m):.2f}'}</td>" for r in runs)
        rows.append(f"<tr><td>{html.escape(t)}</td><td>{html.escape(s)}</td><td>{html.escape(m)}</td>{vals}</tr>")
    counts = []
    for r in runs:
        for t, ts in r.scores.items():
            c = ", ".join(
                f"{k}={getattr(ts, k)}"
                for k in ("n", "n_scored", "n_unparsed", "n_missing", "n_errors", "n_judge_failed", "n_unjudged")
            )
            counts.append(f"<li>{html.escape(r.run_id)} / {html.escape(t)}: {html.escape(c)}</li>")
    return (
        f"<table><thead><tr><th>task</th><th>subset</th><th>metric</th>{head}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table><ul>"
        + "".join(counts)
        + "</ul>"
    )


def _layouts_with_data(ref: Reference, runs: list[Run]) -> list[str]:
    tasks = {t for r in runs for t in r.scores}
    return [k for k in ref.tables if any(m["task"] in tasks for m in ref.mapping[k].values())]


def _sample_rows(runs: list[Run]) -> tuple[str, dict[str, set[str]]]:
    seen: dict[str, set[str]] = {"task": set(), "subset": set(), "run": set()}
    out = []
    for run in runs:
        for s in run.samples:
            task, subset, corr = s.task, str(s.subset or ""), correctness(s)
            seen["task"].add(task)
            seen["subset"].add(subset)
            seen["run"].add(run.run_id)
            e = html.escape
            parsed = json.dumps(s.parsed, ensure_ascii=False)
            score = "-" if s.score is None else f"{s.score:g}"
            out.append(
                f'<tr class="sample" data-task="{e(task)}" data-subset="{e(subset)}" data-run="{e(run.run_id)}" '
                f'data-correct="{corr}"><td>{e(run.run_id)}</td><td>{e(task)}</td><td>{e(subset)}</td>'
                f"<td>{e(s.sample_id)}</td><td>{e(s.video or '')}</td>"
                f"<td><pre>{e(s.prompt or '')}</pre></td><td><pre>{e(s.response or '')}</pre>"
                f"{'<br><small>' + e(s.error) + '</small>' if s.error else ''}</td>"
                f'<td>{e(parsed)}</td><td class="{corr}">{score}</td><td>{e(s.status)}</td></tr>'
            )
    return "\n".join(out), seen


def build_page(ref: Reference, runs: list[Run]) -> str:
    from tarsier_eval.report.plots import benchmark_bars, figure1

    with tempfile.TemporaryDirectory() as tmp:
        charts = [p for p in figure1(ref, runs, Path(tmp)) + benchmark_bars(ref, runs, Path(tmp)) if p.suffix == ".png"]
        images = "".join(_img(p) for p in charts)
    tables = "".join(
        to_html(build_view(k, ref, runs, with_reference=True)) for k in ["summary", *_layouts_with_data(ref, runs)]
    )
    rows, seen = _sample_rows(runs)
    filters = (
        _options("task", sorted(seen["task"]))
        + _options("subset", sorted(seen["subset"]))
        + _options("run", sorted(seen["run"]))
        + _options("correct", ["correct", "incorrect", "unscored"])
    )
    runs_list = "".join(
        f"<li><b>{html.escape(r.run_id)}</b>: model {html.escape(r.model)}, fingerprint "
        f"{html.escape(str(r.fingerprint))}, created {html.escape(r.manifest.created)}, status "
        f"{html.escape(r.manifest.status)}</li>"
        for r in runs
    )
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
    paper = f"arXiv {ref.paper['arxiv']} ({ref.paper['version_transcribed']})"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>tarsier-eval report</title><style>{STYLE}</style></head>
<body>
<h1>tarsier-eval report</h1>
<ul id="runs">{runs_list}</ul>
<h2>Scores</h2>{_scores_table(runs)}
<h2>Charts</h2>{images}
<h2>Paper tables (published rows from {html.escape(paper)}; our runs highlighted)</h2>{tables}
<h2>Samples</h2>
<div id="filters">{filters}<span>shown: <span id="shown-count">0</span></span></div>
<table id="samples"><thead><tr><th>run</th><th>task</th><th>subset</th><th>sample</th><th>video</th><th>prompt</th>
<th>response</th><th>parsed</th><th>score</th><th>status</th></tr></thead><tbody>
{rows}
</tbody></table>
<script>{SCRIPT}</script>
</body></html>
"""
