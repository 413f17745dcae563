"""`make setup`'s last step (`python -m tarsier_eval.demo_setup`): train or reuse the tiny checkpoint, timed, run the
demo evaluation through the real command line, and say what its accuracy means."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tarsier_eval.models.tiny import ensure_tiny_checkpoint, training_dir
from tarsier_eval.runner.provenance import new_run_id

CHANCE = 25.0  # four options per question


def prepare_checkpoint() -> str:
    """Train (first time) or reuse the trained checkpoint; a line saying which and what it cost."""
    built = not training_dir().is_dir()
    started = time.perf_counter()
    ensure_tiny_checkpoint(variant="trained")
    took = time.perf_counter() - started
    info = json.loads((training_dir() / "training.json").read_text())
    if built:
        return f"extra set-up time: {took:.0f} s to train the tiny checkpoint ({info['steps_run']} steps on CPU)"
    return f"tiny checkpoint reused from {training_dir()} (training took {info['wall_seconds']:.0f} s when built)"


def meaning(accuracy: float) -> str:
    """What the demo accuracy says about the pipeline."""
    if accuracy >= 80:
        verdict = ("the model sees the motion: frames are sampled in order, resized intact and reach the prompt, "
                   "and answers are parsed and scored")  # fmt: skip
    elif accuracy > CHANCE + 15:
        verdict = "better than chance but short of the >= 90 % the trained checkpoint reaches: look for a broken stage"
    else:
        verdict = ("about chance or below: a stage is broken (frame order, resize, the video missing from the "
                   "prompt) or the checkpoint is untrained")  # fmt: skip
    return f"demo accuracy {accuracy:.1f} % on 32 clips (chance {CHANCE:.0f} %): {verdict}"


def main(argv: list[str] | None = None) -> int:
    """Extra arguments go to `tarsier-eval run` (e.g. `--workers 0`, `--output DIR`)."""
    from tarsier_eval.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    print(prepare_checkpoint(), flush=True)
    run_id = new_run_id("tiny-qwen2vl-demo")
    code = cli_main(["run", "--tasks", "demo", "--run-id", run_id, *args])
    output = Path(args[args.index("--output") + 1]) if "--output" in args[:-1] else Path("results/runs")
    scores = output / run_id / "scores.json"
    if code != 0 or not scores.is_file():
        return code or 1
    accuracy = json.loads(scores.read_text())["tasks"]["demo"]["metrics"]["overall"]["accuracy"]
    print(meaning(accuracy))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
