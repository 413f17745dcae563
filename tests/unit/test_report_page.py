"""The HTML report page: self-contained, model outputs escaped, filters present, the script allowed by hash only."""

from __future__ import annotations

import argparse
import base64
import hashlib
import re

import pytest

from tarsier_eval.report import commands
from tarsier_eval.report.page import SCRIPT
from tests.unit.test_report_fixtures import tvbench_run

pytestmark = pytest.mark.slow  # minutes on 2 cores: left out of `make test-fast`

EVIL = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def make_page(tmp_path, shared) -> str:
    tvbench_run(tmp_path, shared, "a", {0, 1, 2}, responses={5: EVIL}, limit=40)
    tvbench_run(tmp_path, shared, "b", {3}, limit=40)
    out = tmp_path / "report.html"
    assert cli("report", "--results-root", str(tmp_path), "a", "b", "--output", str(out)) == 0
    return out.read_text()


def test_page_is_self_contained_and_escapes_outputs(tmp_path, shared_benchmarks):
    page = make_page(tmp_path, shared_benchmarks)
    assert EVIL not in page and "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # only the page's own filter script
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert not re.search(r"""(src|href)=["']https?:""", page)  # nothing fetched from outside
    assert page.count('<tr class="sample"') == 80 and "data:image/png;base64," in page
    assert page.count('data-correct="incorrect"') == 3 + 1 + 1  # planted wrongs + the unparsable EVIL reply
    assert "video/action_antonym/" in page
    assert '<option value="tvbench">' in page and '<option value="Action Antonym">' in page


def test_plot_command_writes_png_and_svg(tmp_path, shared_benchmarks):
    tvbench_run(tmp_path, shared_benchmarks, "a", set(), limit=20)
    assert cli("plot", "--results-root", str(tmp_path), "a", "--out", str(tmp_path / "plots")) == 0
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == ["benchmarks.png", "benchmarks.svg", "figure1.png", "figure1.svg"]
    assert (tmp_path / "plots" / "figure1.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "plots" / "figure1.svg").read_text()
