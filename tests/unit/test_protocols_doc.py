"""docs/protocols.md lists every task's protocols and what `paper` resolves to, as the task YAMLs declare them."""

from __future__ import annotations

import re
from pathlib import Path

from tarsier_eval import protocols
from tarsier_eval.registry import all_tasks

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"


def _confidence(evidence: str) -> str:
    """The evidence's opening claim: up to its first sentence end (or a colon before a capital)."""
    match = re.match(r"(.*?)(?:\.\s|:\s(?=[A-Z])|\.$)", evidence.strip(), re.S)
    return (match.group(1) if match else evidence).strip().replace("\n", " ")


def overview_rows() -> list[str]:
    rows = []
    for name, spec in sorted(all_tasks().items()):
        if spec.builtin_data:
            continue
        doc = name if (DOC.parent / "protocols" / f"{name}.md").is_file() else name.split("_")[0]
        names = ", ".join(f"`{p}`" for p in protocols.names(spec) if p != protocols.DEFAULT)
        paper = protocols.resolve(spec, None).name
        evidence = _confidence(spec.protocols[protocols.DEFAULT].evidence)
        rows.append(f"| [{name}](protocols/{doc}.md) | {names} | `{paper}` | {evidence} |")
    return rows


def test_the_overview_table_is_the_registry():
    text = DOC.read_text()
    table = [line for line in text.splitlines() if line.startswith("| [")]
    expected = overview_rows()
    assert table == expected, "docs/protocols.md is stale; its table should read:\n" + "\n".join(expected)


def test_every_linked_protocol_page_exists():
    for link in re.findall(r"\]\((protocols/[^)]+)\)", DOC.read_text()):
        assert (DOC.parent / link).is_file(), link
