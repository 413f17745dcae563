"""Golden scores: fixed predictions for every benchmark, scored with and without a rule judge.

The files under tests/fixtures/golden/ were written by the scorers as they stood before the scorer framework
(issue 13) replaced them; tests/unit/test_golden_scores.py requires today's scorers to reproduce every metric,
count and per-sample verdict bit for bit. A scorer change that is meant to change numbers rewrites the golden file
of its task in the same commit, saying why:

    python -m tests.support.golden --write TASK [TASK ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import zlib
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from tarsier_eval.data.load import load_samples
from tarsier_eval.data.sample import Sample
from tarsier_eval.judges.base import JudgeRequest
from tarsier_eval.registry import all_tasks
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction, TaskScores
from tests.conftest import FIXTURES, SHARED_BENCHMARKS
from tests.support.judge_rules import RuleJudge
from tests.support.judge_server import autodq_rule

GOLDEN = FIXTURES / "golden"
MAX_SAMPLES = 240
BLOCK = 4  # samples are taken in blocks of consecutive ones, so that pairs and groups stay whole
MODES = ("nojudge", "judge")

REPLIES = [
    "(A) text", "The answer is B.", "**C**", "", "b", "I cannot tell from the video.", "yes", "No.", "A",
    "Answer: D", "(E)", "Ｂ", "None of the above", "Yes and no", "Because the man runs", "[[3.0, 7.5]]",
    "The event happens from 2.5 to 10 seconds.", " c) something\nmore", "0", "two",
]  # fmt: skip
TASKS = sorted(name for name, spec in all_tasks().items() if spec.implemented and not spec.builtin_data)


def data_root(task: str) -> Path:
    fixture = FIXTURES / task
    return fixture if fixture.is_dir() else SHARED_BENCHMARKS


def chosen_samples(samples: list[Sample]) -> list[Sample]:
    """At most MAX_SAMPLES samples spread over the file, in blocks of BLOCK consecutive samples."""
    blocks = (len(samples) + BLOCK - 1) // BLOCK
    step = max(1, blocks * BLOCK // MAX_SAMPLES)
    return [s for i, s in enumerate(samples) if (i // BLOCK) % step == 0][:MAX_SAMPLES]


def gold_text(sample: Sample) -> str:
    answer = sample.answer
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


def prediction(index: int, sample: Sample) -> Prediction | None:
    """A fixed reply per sample: missing, failed, gold in several forms, or one of REPLIES."""
    kind = index % 10
    if kind == 0:
        return None
    if kind == 1:
        return Prediction(sample.sample_id, None, error="CUDA out of memory")
    gold = gold_text(sample)
    forms = [gold, f"({gold})", f"The answer is {gold}.", gold.lower()]
    if kind < 6:
        return Prediction(sample.sample_id, forms[kind - 2])
    return Prediction(sample.sample_id, REPLIES[(index * 7 + kind) % len(REPLIES)])


def _rule(task: str, messages: list[dict[str, Any]]) -> str:
    prompt = messages[-1]["content"]
    if task == "dream1k":
        return autodq_rule(messages)
    if task == "tempcompass":
        return "Answer: A. a guess" if "Multi-Choice Question" in prompt else "Correct"
    if task == "openeqa":
        return f"Your mark: {zlib.crc32(prompt.encode()) % 5 + 1}"
    if task == "mmbench_video":
        return str(zlib.crc32(prompt.encode()) % 4)
    if task == "eventhallusion":
        return "yes" if zlib.crc32(prompt.encode()) % 2 else "no"
    return "A"


def _one_in_seven(request: JudgeRequest) -> str | None:
    return "HTTP 500 after retries" if zlib.crc32(request.key.encode()) % 7 == 0 else None


class GoldenJudge(RuleJudge):
    """A deterministic in-process judge; one request in seven fails, as a call that ran out of retries."""

    def __init__(self, task: str):
        super().__init__(partial(_rule, task), "golden-rule", fails=_one_in_seven)


def snapshot(scores: TaskScores) -> dict[str, Any]:
    """What must not change: metrics, counts and every sample's status, parsed answer and score."""
    return {
        "metrics": scores.metrics,
        "counts": scores.counts(),
        "samples": [[r.sample_id, r.status, r.parsed, r.score] for r in scores.samples],
    }


def score_golden(task: str, mode: str) -> dict[str, Any]:
    spec = all_tasks()[task]
    samples = chosen_samples(load_samples(spec, data_root(task)).samples)
    preds = {s.sample_id: p for i, s in enumerate(samples) if (p := prediction(i, s)) is not None}
    judge = GoldenJudge(task) if mode == "judge" else None
    return json.loads(json.dumps(snapshot(score_task(spec, samples, preds, judge=judge)), ensure_ascii=False))


def sample_records(task: str) -> list[dict[str, Any]]:
    """Every loaded sample as the pipeline sees it (prompt, system, prefix, media, answer, meta, source) and the
    load issues: what the loaders must keep producing."""
    loaded = load_samples(all_tasks()[task], data_root(task))
    rows = [json.loads(json.dumps(asdict(s), ensure_ascii=False, default=str)) for s in loaded.samples]
    return rows + [{"issue": str(i)} for i in loaded.issues] + [{"files": loaded.files}]


def samples_digest(task: str) -> str:
    text = json.dumps(sample_records(task), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def golden_path(task: str) -> Path:
    return GOLDEN / f"{task}.json"


def write(tasks: list[str]) -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        data: dict[str, Any] = {mode: score_golden(task, mode) for mode in MODES}
        data["samples_sha256"] = samples_digest(task)
        golden_path(task).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"wrote {golden_path(task)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", nargs="*", metavar="TASK", help="tasks to rewrite (none named: all)")
    args = parser.parse_args()
    write(args.write or TASKS)


if __name__ == "__main__":
    main()
