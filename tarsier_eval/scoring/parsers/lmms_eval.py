"""Multiple-choice replies as lmms-eval (EvolvingLMMs-Lab/lmms-eval, read at 75571cf) reads them, per task.

- `lmms_mvbench_mcq_acc` (`tasks/mvbench/utils.py` mcq_acc): a reply "X. text" (X in A-E, any case) is X;
  otherwise newlines/tabs become spaces, punctuation is removed or blanked (VQA-style), quotes and parentheses are
  stripped from the ends, and the first standalone a-e (any case) is the letter. So "(c)", "b" and "ANSWER: D"
  parse, and the article "a" anywhere before a letter parses as A ("Take off a hat/cap." -> A).
- `lmms_tvbench_letter` (`tasks/tvbench/utils.py`): the first standalone letter of the upper-cased reply if it is an
  option, else a leading "(X", "[X", "X." letter, else the one option whose text the reply contains. The gold letter
  is recomputed from the answer TEXT as lmms-eval does (`tvbench_doc_to_target`): an answer that is a number is read
  as an option INDEX ("3" -> D with 4 options), so Action Count / Object Count questions are graded against
  another letter than the true one — lmms-eval's bug, kept because it is what lmms-eval computes.
- `lmms_mcq_extract` (`tasks/_task_utils/mcq_extract.py` extract_mcq_answer, used by videomme and mlvu since
  2026-04): every letter A-D found in one of several formats gets a rank (a leading letter 10, a final letter 9,
  after an answer phrase 7, "(X)" 6, "X." 5, "X:" 4, "X)" 3, "X " 2, anywhere 0 — only when nothing else matched);
  the highest rank wins, and within a rank the occurrence nearest the end. Lower case never parses.
"""

from __future__ import annotations

import re

from tarsier_eval.data.options import LETTERS
from tarsier_eval.data.sample import Sample
from tarsier_eval.registry import PARSERS
from tarsier_eval.scoring.types import Parsed

# ---- MVBench: mcq_acc ----------------------------------------------------------------------------------------

_MVBENCH_OPTION = re.compile(r"^([A-E])\.\s*(.+)$", re.IGNORECASE)
_PUNCTUATION = (";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?",
                "!")  # fmt: skip
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")
_PERIOD = re.compile(r"\.(?!\d)")  # lmms-eval's "(?!<=\d)" prefix is a lookahead that never fires
_PERIOD_LIMIT = 32  # lmms-eval passes re.UNICODE (32) where `sub` takes its count


def _vqa_punctuation(text: str) -> str:
    """A mark next to a space (or any mark, when the text holds a "digit,digit") is removed, else replaced by a space;
    then at most 32 periods not followed by a digit are removed."""
    out = text
    remove_all = _DIGIT_COMMA_DIGIT.search(text) is not None
    for mark in _PUNCTUATION:
        near_space = mark + " " in text or " " + mark in text
        out = out.replace(mark, "" if remove_all or near_space else " ")
    return _PERIOD.sub("", out, count=_PERIOD_LIMIT)


def mvbench_mcq_letter(reply: str) -> tuple[str, bool]:
    """(what mcq_acc compares with the gold letter, whether it is a letter)."""
    match = _MVBENCH_OPTION.match(reply.strip())
    if match:
        return match.group(1).upper(), True
    text = _vqa_punctuation(reply.replace("\n", " ").replace("\t", " ").strip())
    text = text.strip("'").strip('"').strip(")").strip("(").strip().lower()
    letter = re.search(r"\b([a-e])\b", text)
    return (letter.group(1).upper(), True) if letter else (text, False)


@PARSERS.register("lmms_mvbench_mcq_acc")
def parse_lmms_mvbench(response: str, sample: Sample) -> Parsed:
    value, is_letter = mvbench_mcq_letter(response)
    return Parsed(value if is_letter else None, "rule" if is_letter else "none", value == sample.answer,
                  {} if is_letter else {"processed": value[:200]})  # fmt: skip


# ---- TVBench -------------------------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    return " ".join(text.strip().lower().split())


def tvbench_choice(reply: str, candidates: list[str]) -> str:
    """The letter lmms-eval's TVBench task reads in `reply`, "" for none."""
    text = reply.strip()
    if not text:
        return ""
    letters = LETTERS[: max(len(candidates), 2)]
    upper = text.upper()
    for match in (re.search(r"\b([A-Z])\b", upper), re.match(r"^\s*[\(\[]?([A-Z])[\)\].:]?", upper)):
        if match and match.group(1) in letters:
            return match.group(1)
    reply_text = _normalised(text)
    hits = [i for i, c in enumerate(candidates) if _normalised(c) and _normalised(c) in reply_text]
    return letters[hits[0]] if len(hits) == 1 else ""


def tvbench_target(answer_text: str, candidates: list[str]) -> str:
    """The gold letter lmms-eval derives from the answer text: a single letter is itself, a number is an option index
    (0-based if in range, else 1-based), otherwise the first candidate equal after normalisation."""
    text = answer_text.strip()
    if len(text) == 1 and text.isalpha():
        return text.upper()
    if text.isdecimal():
        index = int(text)
        if index < len(candidates):
            return LETTERS[index]
        if 1 <= index <= len(candidates):
            return LETTERS[index - 1]
    wanted = _normalised(text)
    return next((LETTERS[i] for i, c in enumerate(candidates) if _normalised(c) == wanted), text.upper())


@PARSERS.register("lmms_tvbench_letter")
def parse_lmms_tvbench(response: str, sample: Sample) -> Parsed:
    options = sample.options or []
    target = tvbench_target(options[ord(sample.answer) - ord("A")], options)
    letter = tvbench_choice(response, options)
    detail = {"lmms_eval_target": target} if target != sample.answer else {}
    return Parsed(letter or None, "rule" if letter else "none", letter == target, detail)


# ---- extract_mcq_answer (Video-MME, MLVU) ---------------------------------------------------------------------

_ANSWER_PHRASES = (
    "the answer is", "answer is", "the correct answer is", "correct answer is", "the best answer is", "best answer is",
    "the correct option is", "correct option is", "the best option is", "best option is", "the choice is",
    "choice is", "the correct choice is", "correct choice is", "i choose", "i select", "i pick", "my answer is",
    "my choice is", "옵션", "정답은", "답은", "답:", "答案是", "答案为", "选", "答えは",
)  # fmt: skip
_FORMATS = (("parentheses", "({})", 6), ("period", "{}.", 5), ("colon", "{}:", 4), ("right_paren", "{})", 3),
            ("space", "{} ", 2))  # fmt: skip
_ENDS = ",.!?;:'\""


def _phrase_hits(text: str, letters: str) -> list[tuple[int, int, str]]:
    """(rank 7, position, letter): each letter's first occurrence after each answer phrase found (case-insensitive)."""
    lowered = text.lower()
    hits = []
    for phrase in _ANSWER_PHRASES:
        at = lowered.find(phrase)
        if at != -1:
            hits += [(7, pos, ch) for ch in letters if (pos := text.find(ch, at + len(phrase))) != -1]
    return hits


def mcq_extract(response: str, letters: str = "ABCD") -> str:
    """The letter lmms-eval's extract_mcq_answer picks (see the module docstring), "" for none."""
    if not response.strip():
        return ""
    text = response.strip()
    for end in _ENDS:
        text = text.strip(end)
    padded, core = f" {text} ", text.strip()
    hits = [(rank, pos, ch) for _, form, rank in _FORMATS for ch in letters
            if (pos := padded.rfind(form.format(ch))) != -1]  # fmt: skip
    hits += _phrase_hits(padded, letters)
    hits += [(10, 0, ch) for ch in letters if core.startswith(ch) and (len(core) == 1 or not core[1].isalpha())]
    hits += [(9, len(padded) - 1, ch) for ch in letters
             if core.endswith(ch) and (len(core) == 1 or not core[-2].isalpha())]  # fmt: skip
    if not hits:
        hits = [(0, pos, ch) for ch in letters if (pos := padded.rfind(ch)) != -1]
    return max(hits, key=lambda h: (h[0], h[1]))[2] if hits else ""


@PARSERS.register("lmms_mcq_extract")
def parse_lmms_mcq_extract(response: str, sample: Sample) -> Parsed:
    letter = mcq_extract(response)
    return Parsed(letter or None, "rule" if letter else "none")
