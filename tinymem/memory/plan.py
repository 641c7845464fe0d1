"""`plan_memory`: lifetimes -> offsets in one static arena, and the figures the report needs.

Planners (`--planner`):
  greedy-size     TFLite Micro's algorithm (the baseline)
  greedy-breadth  heaviest steps first
  best-fit        tightest gap first
  exact           CP-SAT, warm-started from the best heuristic, time-limited
  auto            the best heuristic; if it is above the lower bound, `exact` tries to close the
                  gap within its budget (default)
Every plan is checked against the lower bound: the most bytes live at any one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinymem.errors import TinymemError
from tinymem.ir import Graph
from tinymem.memory.heuristics import align_up, arena_size, best_fit, greedy_by_breadth, greedy_by_size
from tinymem.memory.lifetimes import Buffer, buffer_lifetimes
from tinymem.memory.state import plan_state

HEURISTICS = {"greedy-size": greedy_by_size, "greedy-breadth": greedy_by_breadth, "best-fit": best_fit}
PLANNERS = [*HEURISTICS, "exact", "auto"]


@dataclass
class MemoryPlan:
    buffers: list[Buffer]
    offsets: dict[str, int]  # buffer name -> byte offset in the arena
    arena_bytes: int
    lower_bound_bytes: int  # max over steps of the (aligned) live bytes
    peak_step: int
    alignment: int
    planner: str
    optimal: bool  # the arena equals the lower bound, or CP-SAT proved it optimal
    state_offsets: dict[str, int] = field(default_factory=dict)  # persistent tensor -> offset
    state_bytes: int = 0

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


def place(buffers: list[Buffer], alignment: int, planner: str = "auto", lower: int = 0,
          time_limit: float = 10.0) -> tuple[str, dict[str, int], bool]:
    """(planner used, offsets, proven optimal) for the named planner."""
    if planner not in PLANNERS:
        raise TinymemError(f"unknown planner {planner!r} (choose from {', '.join(PLANNERS)})")
    if planner in HEURISTICS:
        offsets = HEURISTICS[planner](buffers, alignment)
        return planner, offsets, arena_size(buffers, offsets, alignment) == lower
    candidates = {name: fn(buffers, alignment) for name, fn in HEURISTICS.items()}
    best = min(candidates, key=lambda n: (arena_size(buffers, candidates[n], alignment), n))
    upper = arena_size(buffers, candidates[best], alignment)
    if upper == lower or not buffers:
        return best, candidates[best], True
    from tinymem.memory.exact import exact_placement

    try:
        result = exact_placement(buffers, alignment, candidates[best], upper, lower, time_limit)
    except TinymemError:
        if planner == "exact":
            raise
        return best, candidates[best], False  # auto without OR-Tools: the best heuristic
    if result.arena < upper or planner == "exact":
        return "exact", result.offsets, result.optimal
    return best, candidates[best], result.optimal


def plan_memory(g: Graph, alignment: int = 16, planner: str = "auto", time_limit: float = 10.0) -> MemoryPlan:
    buffers = buffer_lifetimes(g)
    live = live_bytes_per_step(buffers, len(g.nodes), alignment)
    peak_step = max(range(len(live)), key=live.__getitem__)
    used, offsets, optimal = place(buffers, alignment, planner, live[peak_step], time_limit)
    arena = arena_size(buffers, offsets, alignment)
    state_offsets, state_bytes = plan_state(g, alignment)
    return MemoryPlan(buffers, offsets, arena, live[peak_step], peak_step, alignment, used, optimal,
                      state_offsets, state_bytes)


def check_fits(plan: MemoryPlan, g: Graph, capacity: int, region: str = "RAM") -> None:
    """Raise naming the peak step, its live tensors and the shortfall when the plan is too big."""
    if plan.arena_bytes <= capacity:
        return
    step = plan.peak_step
    live = sorted((b for b in plan.buffers if b.first <= step <= b.last), key=lambda b: -b.nbytes)
    node = g.nodes[step].name if g.nodes else "-"
    items = ", ".join(f"{b.name} {b.nbytes} B" for b in live[:6]) + (" ..." if len(live) > 6 else "")
    raise TinymemError(f"model needs {plan.arena_bytes} B of {region} but the board has {capacity} B "
                       f"(short by {plan.arena_bytes - capacity} B); peak at step {step} ({node}) with "
                       f"live: {items}")
