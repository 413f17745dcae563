"""RunConfig: everything a run needs, stored in its manifest so `--resume` and `merge` can rebuild it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tarsier_eval import protocols
from tarsier_eval.registry import resolve_tasks
from tarsier_eval.task import TaskSpec

DEFAULT_FRAME_CACHE_BYTES = 50 << 30


@dataclass
class RunConfig:
    tasks: list[str]
    model: str = "tiny-qwen2vl"
    model_args: dict[str, str] = field(default_factory=dict)
    data_root: str | None = None
    limit: int | None = None
    batch_size: int = 1
    auto_batch: bool = False
    workers: int = 2
    gen_kwargs: dict[str, Any] = field(default_factory=dict)
    score_options: dict[str, Any] = field(default_factory=dict)
    loader_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    frame_cache: str | None = None
    frame_cache_bytes: int = DEFAULT_FRAME_CACHE_BYTES
    protocol: str | None = None  # `--protocol`: NAME or task=NAME,...; None: each task's default (paper)


def task_specs(config: RunConfig) -> list[tuple[TaskSpec, protocols.Resolved]]:
    """The run's tasks with their scoring protocol applied (docs/protocols.md), and which protocol that is."""
    choice = protocols.parse_choice(config.protocol)
    unknown = set(choice) - {"*", *config.tasks}
    if unknown:
        from tarsier_eval.errors import UsageError

        raise UsageError(f"--protocol names tasks that are not in this run: {sorted(unknown)}")
    return [protocols.apply(spec, protocols.for_task(choice, spec.name)) for spec in resolve_tasks(config.tasks)]
