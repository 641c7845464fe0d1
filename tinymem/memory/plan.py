"""`plan_memory`: lifetimes -> offsets in one static arena, and the figures the report needs."""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.ir import Graph
from tinymem.memory.greedy import align_up, greedy_by_size
from tinymem.memory.lifetimes import Buffer, buffer_lifetimes


@dataclass
class MemoryPlan:
    buffers: list[Buffer]
    offsets: dict[str, int]  # buffer name -> byte offset in the arena
    arena_bytes: int
    lower_bound_bytes: int  # max over steps of the (aligned) live bytes
    peak_step: int
    alignment: int

    def offset_of(self, tensor: str) -> int:
        for b in self.buffers:
            if tensor in b.tensors:
                return self.offsets[b.name]
        raise KeyError(tensor)

    def scratch_offset(self, node_name: str) -> int | None:
        return self.offsets.get(f"scratch:{node_name}")


def live_bytes_per_step(buffers: list[Buffer], steps: int, alignment: int) -> list[int]:
    live = [0] * max(steps, 1)
    for b in buffers:
        for s in range(b.first, b.last + 1):
            live[s] += align_up(b.nbytes, alignment)
    return live


def plan_memory(g: Graph, alignment: int = 16) -> MemoryPlan:
    buffers = buffer_lifetimes(g)
    offsets = greedy_by_size(buffers, alignment)
    arena = max((offsets[b.name] + align_up(b.nbytes, alignment) for b in buffers), default=0)
    live = live_bytes_per_step(buffers, len(g.nodes), alignment)
    peak_step = max(range(len(live)), key=live.__getitem__)
    return MemoryPlan(buffers, offsets, arena, live[peak_step], peak_step, alignment)
