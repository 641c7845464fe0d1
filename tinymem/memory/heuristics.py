"""Heuristic placements of buffers in one address space (all return {buffer name: offset}).

  greedy_by_size     TFLite Micro's GreedyMemoryPlanner: largest first, lowest fitting offset.
  greedy_by_breadth  buffers live at the heaviest steps first (the peak decides the arena).
  best_fit           largest first, into the tightest gap that fits (least wasted space).

Offsets are multiples of `alignment`; two buffers whose lifetimes overlap never share bytes.
"""

from __future__ import annotations

from tinymem.memory.lifetimes import Buffer


def align_up(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def _gaps(busy: list[tuple[int, int]], alignment: int):
    """Free intervals (start, end or None for unbounded) between the busy ranges."""
    offset = 0
    for o, e in sorted(busy):
        if o > offset:
            yield offset, o
        offset = max(offset, align_up(e, alignment))
    yield offset, None


def _place(buffers: list[Buffer], order: list[int], alignment: int, best: bool) -> dict[str, int]:
    placed: list[tuple[int, int, Buffer]] = []
    offsets: dict[str, int] = {}
    for i in order:
        b = buffers[i]
        size = align_up(b.nbytes, alignment)
        busy = [(o, e) for o, e, other in placed if other.overlaps(b)]
        fitting = [(s, e) for s, e in _gaps(busy, alignment) if e is None or e - s >= size]
        if best:
            bounded = [(e - s, s) for s, e in fitting if e is not None]
            offset = min(bounded)[1] if bounded else fitting[-1][0]
        else:
            offset = fitting[0][0]
        offsets[b.name] = offset
        placed.append((offset, offset + size, b))
    return offsets


def greedy_by_size(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    order = sorted(range(len(buffers)), key=lambda i: -buffers[i].nbytes)
    return _place(buffers, order, alignment, best=False)


def greedy_by_breadth(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    steps = max((b.last for b in buffers), default=0) + 1
    live = [0] * steps
    for b in buffers:
        for s in range(b.first, b.last + 1):
            live[s] += align_up(b.nbytes, alignment)
    heat = [max(live[b.first:b.last + 1]) for b in buffers]
    order = sorted(range(len(buffers)), key=lambda i: (-heat[i], -buffers[i].nbytes))
    return _place(buffers, order, alignment, best=False)


def best_fit(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    order = sorted(range(len(buffers)), key=lambda i: -buffers[i].nbytes)
    return _place(buffers, order, alignment, best=True)


def arena_size(buffers: list[Buffer], offsets: dict[str, int], alignment: int) -> int:
    return max((offsets[b.name] + align_up(b.nbytes, alignment) for b in buffers), default=0)
