"""pycocoevalcap's PTBTokenizer as E.T. Bench's caption metrics run it, in pure Python, token for token.

The official pipeline (DVCEval.evaluate_tiou) replaces non-ASCII characters by spaces (`remove_nonascii`), then
pycocoevalcap joins a batch of captions with newlines (after replacing the newlines inside each caption by spaces),
runs Stanford's PTBTokenizer 3.4.1 (`-preserveLines -lowerCase`) on the text, splits the output into lines (one per
caption) and drops the punctuation tokens of its list (`'' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;`;
the bracket names are upper-case there while the output is lower-cased, so `-lrb-` and friends are KEPT).
`ptb_rules.py` holds the lexer's rules; this module runs them as JFlex does: at each position the longest match
(a rule's trailing context counts in its length, not in its token), the earlier rule on ties.

A caption's tokens can depend on the caption after it in the batch (a trailing context may look across the
newline: "He got an A." followed by "The end" gives `a`, followed by "the end" `a.`; ":)" at the very end of the
batch has no following character and splits), so `ptb_tokenize_batch` takes the batch the official code would
tokenize together. A caption holding `\\r`, VT or FF breaks into two output lines in Java and shifts every later
caption of its batch by one line (pycocoevalcap only replaces `\\n`); that is reproduced too.
tests/fixtures/ptb/captions.jsonl holds the Java output for 7,064 captions; tests/unit/test_ptb.py checks them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import regex

from tarsier_eval.scoring.metrics.ptb_rules import RULES, caseless

PUNCTUATION = {"''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";"}
_NEWLINE = object()
_AMP = re.compile("&amp;", re.IGNORECASE)
# A shortcut for the commonest inputs, with the lexer's result: a letter-led alphanumeric run that ends at a space or
# line break (or the end) is one token whichever rule wins (only the words below are split), spaces are skipped.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?=[ \t\r\n]|\Z)|[ \t]+")
_SPLIT = {"cannot", "gonna", "gotta", "lemme", "gimme", "wanna"}


def remove_nonascii(text: str) -> str:
    """E.T. Bench's pre-processing: every character from U+0080 on becomes a space."""
    return "".join(ch if ord(ch) < 128 else " " for ch in text)


@cache
def _by_first_char() -> dict[str, list[tuple[re.Pattern, regex.Pattern, str]]]:
    """Per ASCII character, the rules a match can start with, in order; each rule as `(token)(context)`: a quick
    pattern (does it match at all?), the same with POSIX (leftmost-longest) semantics, and its action."""
    table: dict[str, list[tuple[re.Pattern, regex.Pattern, str]]] = {chr(c): [] for c in range(128)}
    for pattern, context, action in RULES:
        full = f"({caseless(pattern)})" + (f"({caseless(context)})" if context else "()")
        longest = regex.compile(full, regex.POSIX)
        for ch, rules in table.items():
            if longest.match(ch, partial=True):
                rules.append((re.compile(full), longest, action))
    return table


def _quote(text: str, left: bool) -> str:
    """handleQuotes with latexQuotes (the default): a single/double quote becomes ` or `` (left), ' or '' (right)."""
    single, double = ("`", "``") if left else ("'", "''")
    return re.sub(r'"|&quot;', double, re.sub(r"&apos;|'", single, text))


def _parens(text: str) -> str:
    return text.replace("(", "-LRB-").replace(")", "-RRB-")


def _act(action: str, text: str) -> tuple[str | object | None, int]:
    """(the token, or None for none, or _NEWLINE; how many characters it consumes) for a rule's match `text`."""
    if action == "token":
        return text, len(text)
    if action == "skip":
        return None, len(text)
    if action == "newline":
        return _NEWLINE, len(text)
    if action.startswith("="):
        return action[1:], len(text)
    if action in ("keep2", "keep3"):  # yypushback: the rest is lexed again
        keep = int(action[-1])
        return text[:keep], keep
    if action == "abbrev_end":  # the abbreviation with its period, and the period again as the next token
        return text, len(text) - 1
    if action == "acronym":  # "I." before a sentence start: "I", then "."; else "U.S." then "."
        return (text[:1], 1) if len(text) == 2 else (text, len(text) - 1)
    special = {
        "nbsp": lambda t: t.replace(" ", "\u00a0"),
        "amp": lambda t: _AMP.sub("&", t),
        "close_quote": lambda t: _quote(t, left=False),
        "open_quote": lambda t: _quote(t, left=True),
        "parens": _parens,
        "phone": lambda t: _parens(t.replace(" ", "\u00a0")),
        "dashes": lambda t: "--" if 3 <= len(t) <= 4 else t,
    }
    return special[action](text), len(text)


def _tokens(text: str) -> Iterator[str | object]:
    """The lexer's tokens of `text` (ASCII), _NEWLINE for each line break."""
    table = _by_first_char()
    pos = 0
    while pos < len(text):
        plain = _PLAIN.match(text, pos)
        if plain is not None and plain.group().lower() not in _SPLIT:
            if not plain.group()[0].isspace():
                yield plain.group()
            pos = plain.end()
            continue
        best, best_len = None, -1
        for quick, longest, action in table[text[pos]]:
            if not quick.match(text, pos):
                continue
            m = longest.match(text, pos)
            if m is not None and m.end() - pos > best_len:
                best, best_len = (m.group(1), action), m.end() - pos
        assert best is not None  # the last rule matches any character but a newline, NEWLINE the others
        token, used = _act(best[1], best[0])
        if token is not None:
            yield token
        pos += used


def _lines(text: str) -> list[str]:
    """PTBTokenizer -preserveLines -lowerCase output, split into lines."""
    lines: list[list[str]] = [[]]
    for token in _tokens(text):
        if token is _NEWLINE:
            lines.append([])
        else:
            lines[-1].append(token)
    return [" ".join(tokens).lower() for tokens in lines]


def ptb_tokenize_batch(captions: list[str]) -> list[str]:
    """The tokenized captions pycocoevalcap returns for one `tokenize` call on `captions` (E.T. Bench's
    remove_nonascii applied first)."""
    text = "\n".join(remove_nonascii(c).replace("\n", " ") for c in captions)
    lines = _lines(text)
    return [" ".join(t for t in line.rstrip().split(" ") if t not in PUNCTUATION) for line in lines[: len(captions)]]


def ptb_tokenize(text: str) -> str:
    """One caption tokenized alone (a batch of one)."""
    return ptb_tokenize_batch([text])[0]
