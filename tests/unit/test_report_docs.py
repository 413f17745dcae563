"""docs/reports.md shows one rendered table per format; each is what `tarsier-eval table` prints today."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tarsier_eval.report import commands

DOC = Path(__file__).resolve().parents[2] / "docs" / "reports.md"
EXAMPLES = re.findall(r"<!-- example: (.*?) -->\n(.*?)<!-- /example -->", DOC.read_text(encoding="utf-8"), re.S)


def test_one_example_per_format():
    formats = [shlex.split(spec.split("|")[0]) for spec, _ in EXAMPLES]
    assert sorted(a[a.index("--format") + 1] if "--format" in a else "md" for a in formats) == [
        "csv", "html", "latex", "md",
    ]  # fmt: skip


@pytest.mark.parametrize(("spec", "block"), EXAMPLES, ids=[s for s, _ in EXAMPLES])
def test_example_is_the_renderers_output(spec, block, capsys):
    args, _, head = spec.partition("|")
    assert commands.main(["table", *shlex.split(args)]) == 0
    printed = capsys.readouterr().out
    if head.strip():
        printed = "".join(printed.splitlines(keepends=True)[: int(head.strip().removeprefix("head -"))])
    command, _, shown = block.partition("\n\n")
    assert command == f"`tarsier-eval table {spec.strip()}`:"
    shown = re.sub(r"\A```\w+\n(.*)```\n\Z", r"\1", shown, flags=re.S)
    assert shown == printed
