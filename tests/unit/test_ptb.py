"""The Python PTB tokenizer against the Java PTBTokenizer as pycocoevalcap runs it for E.T. Bench: every caption of
tests/fixtures/ptb/captions.jsonl (7,064 captions with the Java output, see its SOURCE.md), tokenized in the same
batches (one per `origin`, in file order) as the Java run, must come out identical."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tarsier_eval.scoring.metrics.ptb import ptb_tokenize, ptb_tokenize_batch, remove_nonascii
from tests.conftest import FIXTURES

CAPTIONS = [json.loads(line) for line in (FIXTURES / "ptb" / "captions.jsonl").read_text().splitlines() if line]


def test_every_caption_matches_the_java_tokenizer():
    batches: dict[str, list[dict]] = defaultdict(list)
    for row in CAPTIONS:
        batches[row["origin"]].append(row)
    assert sum(map(len, batches.values())) == 7064
    differ = []
    for rows in batches.values():
        ours = ptb_tokenize_batch([r["text"] for r in rows])
        differ += [(r["text"], r["java"], o) for r, o in zip(rows, ours, strict=True) if o != r["java"]]
    assert not differ, f"{len(differ)} captions differ (text, java, ours): {differ[:5]}"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("He doesn't fry the onion, (quickly)!", "he does n't fry the onion -lrb- quickly -rrb-"),
        ("the man's café.", "the man 's caf"),
        (":00, a woman", ":00 a woman"),
        ("he fries it s**: 6.9 , at 1:00", "he fries it s ** 6.9 at 1:00"),
        ("a t-shirt, 1,000 U.S. gonna cannot", "a t-shirt 1,000 u.s. gon na can not"),
        ('"quoted" James\' C++ at&t AT&T', "quoted james c++ at & t at&t"),
        ("I have 1 1/2 cups", "i have 1\u00a01/2 cups"),  # FRAC keeps its space as a no-break space
    ],
)
def test_single_captions(text, tokens):
    assert ptb_tokenize(text) == tokens


def test_the_batch_context_matters_as_in_java():
    """Outputs of the Java run (pycocoevalcap 1.2, stanford-corenlp 3.4.1): a trailing context reads the next line,
    the last caption has none, and a carriage return inside a caption shifts the later captions by one line."""
    assert ptb_tokenize_batch(["He got an A.", "The end"]) == ["he got an a", "the end"]
    assert ptb_tokenize_batch(["He got an A.", "the end"]) == ["he got an a.", "the end"]
    assert ptb_tokenize_batch([":)", ":)"]) == [":-rrb-", "-rrb-"]
    assert ptb_tokenize_batch(["a\rb c", "next one", "x"]) == ["a", "b c", "next one"]


def test_remove_nonascii():
    assert remove_nonascii("café\u00a0ok") == "caf  ok"
