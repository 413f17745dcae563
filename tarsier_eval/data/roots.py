"""Where a task's data is: `--data-root`, else $TARSIER_EVAL_DATA_ROOT, else the demo task's built-in data."""

from __future__ import annotations

import os
from pathlib import Path

from tarsier_eval.errors import UsageError
from tarsier_eval.task import TaskSpec


def resolve_data_root(spec: TaskSpec, data_root: str | None) -> Path:
    """`--data-root`, else $TARSIER_EVAL_DATA_ROOT, else the built-in data of the demo task."""
    chosen = data_root or os.environ.get("TARSIER_EVAL_DATA_ROOT")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_dir():
            raise UsageError(f"data root {path} does not exist")
        return path
    if spec.builtin_data:
        from tarsier_eval.demo import ensure_demo_data

        return ensure_demo_data()
    raise UsageError(f"task {spec.name} needs its data: pass --data-root DIR holding {spec.data_dir}/")
