"""`exact_placement`: optimal arena layout with OR-Tools CP-SAT (optional dependency).

Each buffer is a rectangle in (time x address): time = its lifetime, address = [offset, offset +
size). Rectangles may not overlap (NoOverlap2D); the arena end is minimised. The search is warm-
started from a heuristic placement and stops after `time_limit` units of CP-SAT's
deterministic time (about seconds, but reproducible); it reports whether the
result is proven optimal. Offsets are multiples of the alignment (addresses are counted in
alignment units).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.errors import ToolchainError
from tinymem.memory.heuristics import align_up
from tinymem.memory.lifetimes import Buffer


@dataclass
class ExactResult:
    offsets: dict[str, int]
    arena: int
    optimal: bool


def exact_placement(buffers: list[Buffer], alignment: int, hint: dict[str, int], upper: int,
                    lower: int, time_limit: float = 10.0) -> ExactResult:
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise ToolchainError("the exact planner needs OR-Tools: pip install 'tinymem[exact]'") from None
    units = [align_up(b.nbytes, alignment) // alignment for b in buffers]
    top = upper // alignment
    m = cp_model.CpModel()
    starts, x_iv, y_iv = [], [], []
    for b, size in zip(buffers, units):
        s = m.NewIntVar(0, max(top - size, 0), f"o_{b.name}")
        starts.append(s)
        x_iv.append(m.NewFixedSizeIntervalVar(b.first, b.last - b.first + 1, f"t_{b.name}"))
        y_iv.append(m.NewFixedSizeIntervalVar(s, size, f"a_{b.name}"))
        m.AddHint(s, hint[b.name] // alignment)
    m.AddNoOverlap2D(x_iv, y_iv)
    end = m.NewIntVar(lower // alignment, top, "arena")
    for s, size in zip(starts, units):
        m.Add(end >= s + size)
    m.Minimize(end)
    solver = cp_model.CpSolver()
    # One worker and a deterministic time budget: the same model always gets the same layout.
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(dict(hint), upper, False)
    offsets = {b.name: solver.Value(s) * alignment for b, s in zip(buffers, starts)}
    arena = solver.Value(end) * alignment
    if arena > upper:  # never worse than the warm start
        return ExactResult(dict(hint), upper, False)
    return ExactResult(offsets, arena, status == cp_model.OPTIMAL or arena == lower)
