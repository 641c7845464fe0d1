"""`plan_state`: offsets of persistent state tensors in their own region (never reused)."""

from __future__ import annotations

from tinymem.ir import Graph
from tinymem.memory.heuristics import align_up


def plan_state(g: Graph, alignment: int = 16) -> tuple[dict[str, int], int]:
    """({tensor: offset}, region bytes), in tensor declaration order."""
    offsets, end = {}, 0
    for name, t in g.tensors.items():
        if t.persistent:
            offsets[name] = end
            end = align_up(end + t.nbytes, alignment)
    return offsets, end
