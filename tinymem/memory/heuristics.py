"""Heuristic placements of buffers in one address space (all return {buffer name: offset}).

  greedy_by_size     TFLite Micro's GreedyMemoryPlanner: largest first, lowest fitting offset.
  greedy_by_breadth  buffers live at the heaviest steps first (the peak decides the arena).
  best_fit           largest first, into the tightest gap that fits (least wasted space).

Offsets are multiples of `alignment`; two buffers whose lifetimes overlap never share bytes.
An in-place group (buffers with the same `group`, see lifetimes.py) is placed as one unit: its
members keep their relative offsets (`delta`), at the lowest base where all of them fit.
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


def units(buffers: list[Buffer]) -> list[list[int]]:
    """Placement units: in-place groups (placed together at their fixed deltas) and single buffers,
    in order of their first buffer."""
    by_key: dict[str, list[int]] = {}
    for i, b in enumerate(buffers):
        by_key.setdefault(b.group or f"\0{b.name}", []).append(i)
    return list(by_key.values())


def unit_extent(buffers: list[Buffer], unit: list[int]) -> int:
    """Bytes from the unit's base to the end of its furthest member (the sort key)."""
    return max(buffers[i].delta + buffers[i].nbytes for i in unit)


def _fits(buffers, unit, base, placed, alignment) -> bool:
    for i in unit:
        b = buffers[i]
        lo, hi = base + b.delta, base + b.delta + align_up(b.nbytes, alignment)
        for o, e, other in placed:
            if other.overlaps(b) and lo < e and o < hi:
                return False
    return True


def _place_group(buffers, unit, placed, alignment) -> int:
    """Lowest base offset at which every member of the group avoids the placed buffers."""
    bases = {0}
    for i in unit:
        b = buffers[i]
        for o, e, other in placed:
            if other.overlaps(b):
                base = align_up(e, alignment) - b.delta
                if base >= 0:
                    bases.add(base)
    for base in sorted(bases):
        if _fits(buffers, unit, base, placed, alignment):
            return base
    raise AssertionError("unreachable: above every placed buffer is free")


def _place(buffers: list[Buffer], order: list[list[int]], alignment: int, best: bool) -> dict[str, int]:
    placed: list[tuple[int, int, Buffer]] = []
    offsets: dict[str, int] = {}
    for unit in order:
        if len(unit) > 1:
            base = _place_group(buffers, unit, placed, alignment)
        else:
            b = buffers[unit[0]]
            size = align_up(b.nbytes, alignment)
            busy = [(o, e) for o, e, other in placed if other.overlaps(b)]
            fitting = [(s, e) for s, e in _gaps(busy, alignment) if e is None or e - s >= size]
            if best:
                bounded = [(e - s, s) for s, e in fitting if e is not None]
                base = min(bounded)[1] if bounded else fitting[-1][0]
            else:
                base = fitting[0][0]
            base -= b.delta
        for i in unit:
            b = buffers[i]
            offsets[b.name] = base + b.delta
            placed.append((base + b.delta, base + b.delta + align_up(b.nbytes, alignment), b))
    return offsets


def greedy_by_size(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    us = units(buffers)
    order = sorted(us, key=lambda u: -unit_extent(buffers, u))
    return _place(buffers, order, alignment, best=False)


def greedy_by_breadth(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    ticks = max((b.t1 for b in buffers), default=0) + 1
    live = [0] * ticks
    for b in buffers:
        for t in range(b.t0, b.t1 + 1):
            live[t] += align_up(b.nbytes, alignment)
    heat = [max(live[b.t0:b.t1 + 1]) for b in buffers]
    us = units(buffers)
    order = sorted(us, key=lambda u: (-max(heat[i] for i in u), -unit_extent(buffers, u)))
    return _place(buffers, order, alignment, best=False)


def best_fit(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    us = units(buffers)
    order = sorted(us, key=lambda u: -unit_extent(buffers, u))
    return _place(buffers, order, alignment, best=True)


def arena_size(buffers: list[Buffer], offsets: dict[str, int], alignment: int) -> int:
    return max((offsets[b.name] + align_up(b.nbytes, alignment) for b in buffers), default=0)
