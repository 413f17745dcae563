"""Per-task option overrides from the command line (`key=v` for every task, `task.key=v` for one)."""

from __future__ import annotations

import pytest

from tarsier_eval.cli import parse_batch_size, parse_kv
from tarsier_eval.errors import UsageError
from tarsier_eval.task import options_for


def test_parse_kv_reads_json_values():
    assert parse_kv("a=1,b=true,c=x,d=0.5") == {"a": 1, "b": True, "c": "x", "d": 0.5}
    assert parse_kv("") == {}


def test_options_for_scopes_by_task():
    options = {"strict": True, "videomme.subtitles": True, "videohallucer.temporal": "pre2025-10"}
    assert options_for("videomme", options) == {"strict": True, "subtitles": True}
    assert options_for("videohallucer", options) == {"strict": True, "temporal": "pre2025-10"}
    assert options_for("tvbench", options) == {"strict": True}


@pytest.mark.parametrize(("text", "expected"), [("4", (4, False)), ("auto", (8, True)), ("auto:32", (32, True))])
def test_batch_sizes_parse(text, expected):
    assert parse_batch_size(text) == expected


@pytest.mark.parametrize("text", ["0", "-2", "big", "auto:", "auto:0", "auto:x", "4:auto"])
def test_bad_batch_sizes_are_usage_errors(text):
    with pytest.raises(UsageError, match="--batch-size takes N, auto or auto:N"):
        parse_batch_size(text)
