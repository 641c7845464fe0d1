"""`exact_placement`: optimal arena layout with OR-Tools CP-SAT (optional dependency).

Each buffer is a rectangle in (time x address): time = its lifetime, address = [offset, offset +
size). Rectangles may not overlap (NoOverlap2D); the arena end is minimised. The search is warm-
started from a heuristic placement and stops after `time_limit` units of CP-SAT's
deterministic time (about seconds, but reproducible); it reports whether the
result is proven optimal. Offsets are multiples of the alignment (addresses are counted in
alignment units); time is counted in half steps (Buffer.t0 .. t1). An in-place group is one base
variable, its members at their fixed deltas.
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
    from tinymem.memory.heuristics import units as placement_units

    groups = placement_units(buffers)
    if any(b.delta % alignment for b in buffers):
        raise ToolchainError("internal: in-place deltas must be multiples of the alignment")
    top = upper // alignment
    m = cp_model.CpModel()
    base_of: dict[int, object] = {}
    x_iv, y_iv, ends = [], [], []
    for k, unit in enumerate(groups):
        lead = buffers[unit[0]]
        hint_base = hint[lead.name] - lead.delta
        extent = max(b.delta // alignment + align_up(b.nbytes, alignment) // alignment
                     for b in (buffers[i] for i in unit))
        base = m.NewIntVar(0, max(top - extent, 0), f"base_{k}")
        m.AddHint(base, hint_base // alignment)
        for i in unit:
            b = buffers[i]
            size = align_up(b.nbytes, alignment) // alignment
            start = base + b.delta // alignment
            base_of[i] = start
            x_iv.append(m.NewFixedSizeIntervalVar(b.t0, b.t1 - b.t0 + 1, f"t_{b.name}"))
            y_iv.append(m.NewFixedSizeIntervalVar(start, size, f"a_{b.name}"))
            ends.append(start + size)
    m.AddNoOverlap2D(x_iv, y_iv)
    end = m.NewIntVar(lower // alignment, top, "arena")
    for e in ends:
        m.Add(end >= e)
    m.Minimize(end)
    solver = cp_model.CpSolver()
    # One worker and a deterministic time budget: the same model always gets the same layout.
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(dict(hint), upper, False)
    offsets = {buffers[i].name: solver.Value(start) * alignment for i, start in base_of.items()}
    arena = solver.Value(end) * alignment
    if arena > upper:  # never worse than the warm start
        return ExactResult(dict(hint), upper, False)
    return ExactResult(offsets, arena, status == cp_model.OPTIMAL or arena == lower)
