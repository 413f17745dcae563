"""torch.distributed glue: rank/world from torchrun's environment, barrier and object broadcast (gloo or nccl)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.initialized:
            import torch.distributed as dist

            dist.barrier()

    def broadcast(self, value: Any) -> Any:
        """rank 0's `value` on every rank."""
        if not self.initialized:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def all_ok(self, ok: bool) -> bool:
        """True on every rank only if `ok` on every rank."""
        if not self.initialized:
            return ok
        import torch.distributed as dist

        flags: list[Any] = [None] * self.world_size
        dist.all_gather_object(flags, ok)
        return all(flags)

    def close(self) -> None:
        if self.initialized:
            import torch.distributed as dist

            dist.destroy_process_group()


def init_from_env(timeout_minutes: int = 180) -> DistContext:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); otherwise a single-process context."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    import torch
    import torch.distributed as dist

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend, timeout=timedelta(minutes=timeout_minutes))
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, True)


def cores_per_rank() -> int:
    """This process's share of the machine's cores (torchrun starts LOCAL_WORLD_SIZE processes per node)."""
    return max(1, (os.cpu_count() or 1) // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))


def default_workers() -> int:
    """DataLoader workers per rank: min(2, cores - 1), so decoding never starves the rank's main process."""
    return max(0, min(2, cores_per_rank() - 1))


def share_cores(workers: int) -> None:
    """Give the rank's own torch threads the cores its DataLoader workers leave."""
    import torch

    torch.set_num_threads(max(1, cores_per_rank() - workers))
