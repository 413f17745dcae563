"""Per benchmark: which lmms-eval tasks hold it, and what identifies a document on both sides.

A `Content` is what a document (from a log line) or a sample (from our annotations) says about the item: `key`
(indexed: the subtask and the question, or the benchmark's own question id), `hard` checks (the gold answer: a
document whose answer differs is not the same item) and `soft` checks (the video: it picks among samples that
share a key, but a differently named video does not undo a match on question, options and answer, since lmms-eval
may name pre-cut clips differently). Text is compared with whitespace collapsed and case folded.

Document fields follow lmms-eval's task utils (EvolvingLMMs-Lab/lmms-eval 75571cfe, lmms_eval/tasks/<name>/):
- tvbench_<subtask> (FunAILab/TVBench rows `video, question, candidates, answer`): prompt "q\nA. c0\nB. c1\n<post>",
  target = the gold letter; logs of v0.4+ carry no video.
- mvbench_<subtask> (OpenGVLab/MVBench rows, same fields): prompt "Question:q\nOption:\n(A) c0\n(B) c1\n<post>",
  target = the gold option's text; logs of v0.4+ carry no video.
- videomme, videomme_w_subtitle, videomme_long[_w_subtitle] (lmms-eval/Video-MME rows): `question_id`, `videoID`,
  `duration`, `answer` (letter), in `doc` or in the logged `videomme_perception_score`.
- tempcompass_{multi_choice,yes_no,caption_matching,captioning} (lmms-eval/TempCompass rows): `video_id`, `dim`,
  `question`, `answer`, in `doc` or in the logged `avg_accuracy`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tarsier_eval.data.options import LETTERS, option_label
from tarsier_eval.data.sample import Sample
from tarsier_eval.interop.lmms_eval.logs import LogRecord


class Unidentifiable(ValueError):
    """A log line that lacks what identifies its document (reported as unmapped, with this reason)."""


def norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def stem(path: str) -> str:
    return PurePosixPath(str(path)).stem.casefold()


@dataclass(frozen=True)
class Content:
    key: tuple[Any, ...]
    hard: dict[str, str] = field(default_factory=dict)
    soft: dict[str, str] = field(default_factory=dict)


def split_options(text: str, label: re.Pattern[str]) -> tuple[str, list[str]]:
    """(text before the options, options) of a prompt listing options A, B, C... one a line in `label`'s style."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if (m := label.match(line)) and m.group(1) == "A"), None)
    if start is None:
        raise Unidentifiable("the prompt lists no options")
    options: list[str] = []
    for line in lines[start:]:
        match = label.match(line)
        if match is None or match.group(1) != LETTERS[len(options)]:
            break
        options.append(match.group(2))
    return "\n".join(lines[:start]), options


def _doc_question(record: LogRecord, field_names: tuple[str, ...]) -> tuple[str, list[str]] | None:
    doc = record.doc or {}
    if "question" not in doc:
        return None
    options = next((doc[k] for k in field_names if isinstance(doc.get(k), list)), None)
    if options is None:
        raise Unidentifiable(f"the logged doc has no {' or '.join(field_names)}")
    return str(doc["question"]), [str(o) for o in options]


class Benchmark:
    """One of our tasks as lmms-eval splits it into tasks; subclasses say how documents are read and written."""

    task: str = ""
    identity = "question and options"  # what the key holds, for messages

    def owns(self, lmms_task: str) -> bool:
        raise NotImplementedError

    def lmms_task(self, sample: Sample) -> str:
        raise NotImplementedError

    def doc_content(self, record: LogRecord) -> Content:
        raise NotImplementedError

    def sample_content(self, sample: Sample) -> Content:
        raise NotImplementedError

    def doc(self, sample: Sample) -> dict[str, Any]:
        """The sample as a row of the lmms-eval task's dataset (the fields we hold)."""
        raise NotImplementedError

    def target(self, sample: Sample) -> str:
        """What the lmms-eval task's doc_to_target gives for the sample."""
        return str(sample.answer)


class MVBenchStyle(Benchmark):
    """TVBench and MVBench: a subtask per lmms-eval task, question + candidates, no id of their own."""

    prefix = ""
    label: re.Pattern[str] = re.compile(r"^([A-Z])\. (.*)$")

    def owns(self, lmms_task: str) -> bool:
        return lmms_task.startswith(self.prefix)

    def part(self, sample: Sample) -> str:
        return slug(sample.subset)

    def lmms_task(self, sample: Sample) -> str:
        return self.prefix + self.part(sample)

    def question(self, before_options: str) -> str:
        return before_options

    def target_check(self, target: str, options: list[str]) -> dict[str, str]:
        """The hard check a logged `target` gives (lmms-eval's doc_to_target of the task)."""
        return {"answer": target.strip().upper()}

    def sample_target(self, sample: Sample) -> str:
        """What the lmms-eval task's doc_to_target gives for the sample (its checks, when the log has no doc)."""
        return str(sample.answer).upper()

    def doc_content(self, record: LogRecord) -> Content:
        found = _doc_question(record, ("candidates", "options"))
        if found is None:
            if record.input is None:
                raise Unidentifiable("the line has neither 'doc' nor 'input'")
            before, options = split_options(record.input, self.label)
            found = self.question(before), options
        question, options = found
        key = (record.lmms_task.removeprefix(self.prefix), norm(question), tuple(norm(o) for o in options))
        doc = record.doc or {}
        hard: dict[str, str] = {}
        if "answer" in doc:  # the gold as the dataset gives it: a candidate's text
            hard["answer"] = _letter_of(str(doc["answer"]), options)
        elif record.target is not None:
            hard = self.target_check(record.target, options)
        return Content(key, hard, {"video": stem(doc["video"])} if doc.get("video") else {})

    def sample_content(self, sample: Sample) -> Content:
        options = sample.options or []
        key = (self.part(sample), norm(sample.meta.get("question", "")), tuple(norm(o) for o in options))
        checks = {"answer": str(sample.answer).upper(), "target": self.sample_target(sample)}
        return Content(key, checks, {"video": stem(sample.media.path)})

    def doc(self, sample: Sample) -> dict[str, Any]:
        options = sample.options or []
        return {"video": PurePosixPath(sample.media.path).name, "question": sample.meta.get("question"),
                "candidates": options, "answer": options[LETTERS.index(str(sample.answer))]}  # fmt: skip


def _letter_of(answer: str, options: list[str]) -> str:
    """The letter of the first option equal to `answer` ("?" when none is)."""
    found = [i for i, o in enumerate(options) if norm(o) == norm(answer)]
    return option_label(found[0]) if found else "?"


def tvbench_target(answer: str, options: list[str]) -> str:
    """lmms-eval's tvbench_doc_to_target (0.7.3): a one-letter answer is that letter; an answer made of digits is
    read as an option index (0-based when in range, else 1-based), so answer "2" of candidates [2, 3, 5, 4] gives
    C, not A (382 of TVBench's 2,525 targets, in Action Count and Object Count); else the matching option."""
    text = answer.strip()
    if len(text) == 1 and text.isalpha():
        return text.upper()
    if text.isdigit():
        index = int(text)
        if 0 <= index < len(options):
            return option_label(index)
        if 1 <= index <= len(options):
            return option_label(index - 1)
    letter = _letter_of(text, options)
    return text.upper() if letter == "?" else letter


class TVBench(MVBenchStyle):
    """Logged targets are lmms-eval's (see tvbench_target); they are compared with what it gives our sample."""

    task = "tvbench"
    prefix = "tvbench_"

    def target_check(self, target: str, options: list[str]) -> dict[str, str]:
        return {"target": target.strip().upper()}

    def sample_target(self, sample: Sample) -> str:
        options = sample.options or []
        return tvbench_target(options[LETTERS.index(str(sample.answer))], options)


class MVBench(MVBenchStyle):
    task = "mvbench"
    prefix = "mvbench_"
    label = re.compile(r"^\(([A-Z])\) (.*)$")

    def part(self, sample: Sample) -> str:
        return PurePosixPath(sample.source.file).stem

    def question(self, before_options: str) -> str:
        text = before_options.removesuffix("Option:").rstrip("\n")
        return text.removeprefix("Question:")

    def target_check(self, target: str, options: list[str]) -> dict[str, str]:
        """lmms-eval's target is the gold option's text; its letter is the first candidate equal to it."""
        return {"answer": _letter_of(target, options)}

    def target(self, sample: Sample) -> str:
        return str(self.doc(sample)["answer"])


VIDEOMME_TASKS = ("videomme", "videomme_w_subtitle", "videomme_long", "videomme_long_w_subtitle")


class VideoMME(Benchmark):
    """Video-MME documents carry the benchmark's own question id (`001-1`), our sample id's last part."""

    task = "videomme"
    identity = "question_id"

    def owns(self, lmms_task: str) -> bool:
        return lmms_task in VIDEOMME_TASKS

    def lmms_task(self, sample: Sample) -> str:
        return "videomme_w_subtitle" if sample.meta.get("subtitles") else "videomme"

    def doc_content(self, record: LogRecord) -> Content:
        fields = record.fields()
        if "question_id" not in fields:
            raise Unidentifiable("the line names no question_id (in 'doc' or videomme_perception_score)")
        answer = record.target if record.target is not None else fields.get("answer")
        hard = {"answer": str(answer).strip().upper()} if answer is not None else {}
        if "duration" in fields:
            hard["duration"] = norm(fields["duration"])
        soft = {"video": norm(fields["video_id"])} if "video_id" in fields else {}
        return Content((str(fields["question_id"]),), hard, soft)

    def sample_content(self, sample: Sample) -> Content:
        hard = {"answer": str(sample.answer).upper(), "duration": norm(sample.subset)}
        return Content((sample.sample_id.split("/", 1)[1],), hard, {"video": norm(sample.meta.get("video_id", ""))})

    def doc(self, sample: Sample) -> dict[str, Any]:
        meta = sample.meta
        return {"video_id": meta.get("video_id"), "duration": sample.subset, "domain": meta.get("domain"),
                "sub_category": meta.get("sub_category"), "videoID": PurePosixPath(sample.media.path).stem,
                "question_id": sample.sample_id.split("/", 1)[1], "task_type": meta.get("task_type"),
                "options": [f"{option_label(i)}. {o}" for i, o in enumerate(sample.options or [])],
                "answer": sample.answer}  # fmt: skip


TEMPCOMPASS_TASKS = {"tempcompass_multi_choice": "multi-choice", "tempcompass_yes_no": "yes_no",
                     "tempcompass_caption_matching": "caption_matching", "tempcompass_captioning": "captioning"}  # fmt: skip


class TempCompass(Benchmark):
    """TempCompass documents carry video id, dimension and the question (with its options) verbatim."""

    task = "tempcompass"
    identity = "video_id, dim and question"

    def owns(self, lmms_task: str) -> bool:
        return lmms_task in TEMPCOMPASS_TASKS

    def lmms_task(self, sample: Sample) -> str:
        return next(t for t, fmt in TEMPCOMPASS_TASKS.items() if fmt == sample.meta["format"])

    def doc_content(self, record: LogRecord) -> Content:
        fields = record.fields()
        missing = [k for k in ("video_id", "dim", "question") if k not in fields]
        if missing:
            raise Unidentifiable(f"the line has no {', '.join(missing)} (in 'doc' or avg_accuracy)")
        key = (TEMPCOMPASS_TASKS[record.lmms_task], norm(fields["video_id"]), norm(fields["dim"]),
               norm(fields["question"]))  # fmt: skip
        return Content(key, {"answer": norm(record.target)} if record.target is not None else {})

    def sample_content(self, sample: Sample) -> Content:
        meta = sample.meta
        key = (meta["format"], norm(meta["video_id"]), norm(meta["dim"]), norm(meta["question"]))
        return Content(key, {"answer": norm(sample.answer)})

    def doc(self, sample: Sample) -> dict[str, Any]:
        meta = sample.meta
        doc = {"video_id": meta["video_id"], "dim": meta["dim"], "question": meta["question"], "answer": sample.answer}
        if "mc_question" in meta:
            doc.update(mc_question=meta["mc_question"], mc_answer=meta["mc_answer"])
        return doc


BENCHMARKS: dict[str, Benchmark] = {b.task: b for b in (TVBench(), MVBench(), VideoMME(), TempCompass())}


def benchmark(task: str) -> Benchmark | None:
    return BENCHMARKS.get(task)
