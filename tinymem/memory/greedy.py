"""`greedy_by_size`: TFLite Micro's GreedyMemoryPlanner, the baseline placement.

Buffers are taken largest first (stable for ties); each goes to the lowest offset where it does
not collide with an already placed buffer whose lifetime overlaps its own.
"""

from __future__ import annotations

from tinymem.memory.lifetimes import Buffer


def align_up(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def greedy_by_size(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    order = sorted(range(len(buffers)), key=lambda i: -buffers[i].nbytes)
    placed: list[tuple[int, int, Buffer]] = []  # (offset, end, buffer)
    offsets: dict[str, int] = {}
    for i in order:
        b = buffers[i]
        size = align_up(b.nbytes, alignment)
        busy = sorted((o, e) for o, e, other in placed if other.overlaps(b))
        offset = 0
        for o, e in busy:
            if offset + size <= o:
                break
            offset = max(offset, align_up(e, alignment))
        offsets[b.name] = offset
        placed.append((offset, offset + size, b))
    return offsets
