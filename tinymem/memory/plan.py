"""`plan_memory`: lifetimes -> offsets in one static arena, and the figures the report needs.

Planners (`--planner`):
  greedy-size     TFLite Micro's algorithm (the baseline)
  greedy-breadth  heaviest steps first
  best-fit        tightest gap first
  exact           CP-SAT, warm-started from the best heuristic, time-limited
  auto            the best heuristic; if it is above the lower bound, `exact` tries to close the
                  gap within its budget (default)
  heuristic       the best heuristic, without CP-SAT (fast: the patch search plans many candidates)
Every plan is checked (no two buffers live at the same time share a byte, except in-place
partners, which never are live at the same time) and compared with the lower bound of its
schedule: the most bytes live at any one half step. `baseline_bound_bytes` is the same bound for
the model's own order without in-place execution or zero-copy views ("layer by layer").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinymem.errors import TinymemError
from tinymem.ir import Graph
from tinymem.memory.heuristics import align_up, arena_size, best_fit, greedy_by_breadth, greedy_by_size
from tinymem.memory.lifetimes import Buffer, buffer_lifetimes
from tinymem.memory.state import plan_state

HEURISTICS = {"greedy-size": greedy_by_size, "greedy-breadth": greedy_by_breadth, "best-fit": best_fit}
PLANNERS = [*HEURISTICS, "heuristic", "exact", "auto"]


@dataclass
class MemoryPlan:
    buffers: list[Buffer]  # every buffer, arena and caller-owned (region != "arena")
    offsets: dict[str, int]  # buffer name -> byte offset in its region
    arena_bytes: int
    lower_bound_bytes: int  # max over half steps of the (aligned) live arena bytes
    peak_step: int
    alignment: int
    planner: str
    optimal: bool  # the arena equals the lower bound, or CP-SAT proved it optimal
    state_offsets: dict[str, int] = field(default_factory=dict)  # persistent tensor -> offset
    state_bytes: int = 0
    schedule: object = None  # the tinymem.schedule.Schedule planned (None: plain graph order)
    baseline_bound_bytes: int = 0  # lower bound of the model's order, nothing in place, no views

    def buffer_of(self, tensor: str) -> Buffer:
        for b in self.buffers:
            if tensor in b.tensors:
                return b
        raise KeyError(tensor)

    def location(self, tensor: str) -> tuple[str, int]:
        """(region, byte offset in it) of a tensor: region "arena", "input:<k>" or "output:<k>"."""
        b = self.buffer_of(tensor)
        return b.region, self.offsets[b.name] + b.tensor_offset(tensor)

    def offset_of(self, tensor: str) -> int:
        region, offset = self.location(tensor)
        if region != "arena":
            raise KeyError(f"{tensor} lives in the caller's {region} buffer, not in the arena")
        return offset

    def scratch_offset(self, node_name: str) -> int | None:
        return self.offsets.get(f"scratch:{node_name}")

    @property
    def inplace(self) -> dict:
        return self.schedule.inplace if self.schedule is not None else {}

    @property
    def elided(self) -> set[str]:
        return self.schedule.views.elided if self.schedule is not None else set()

    @property
    def arena_buffers(self) -> list[Buffer]:
        return [b for b in self.buffers if b.region == "arena"]


def live_bytes_per_tick(buffers: list[Buffer], steps: int, alignment: int) -> list[int]:
    live = [0] * max(2 * steps, 2)
    for b in buffers:
        for t in range(b.t0, b.t1 + 1):
            live[t] += align_up(b.nbytes, alignment)
    return live


def live_bytes_per_step(buffers: list[Buffer], steps: int, alignment: int) -> list[int]:
    """The most live bytes during each step (the larger of its two half steps)."""
    ticks = live_bytes_per_tick(buffers, steps, alignment)
    return [max(ticks[2 * s], ticks[2 * s + 1]) for s in range(len(ticks) // 2)]


def check_placement(buffers: list[Buffer], offsets: dict[str, int], alignment: int) -> None:
    """Raise when two buffers live at a common half step share a byte, or an offset is unaligned."""
    spans = sorted(((offsets[b.name], offsets[b.name] + align_up(b.nbytes, alignment), b) for b in buffers),
                   key=lambda s: s[0])
    for i, (o, e, b) in enumerate(spans):
        if o % alignment or o < 0:
            raise TinymemError(f"internal: buffer {b.name} at unaligned offset {o}")
        for o2, e2, b2 in spans[i + 1:]:
            if o2 >= e:
                break
            if b.overlaps(b2):
                raise TinymemError(f"internal: buffers {b.name} and {b2.name} overlap at steps "
                                   f"{max(b.first, b2.first)}..{min(b.last, b2.last)}")


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
    if upper == lower or not buffers or planner == "heuristic":
        return best, candidates[best], upper == lower
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


def plan_memory(g: Graph, alignment: int = 16, planner: str = "auto", time_limit: float = 10.0,
                schedule=None) -> MemoryPlan:
    """Plan graph g (in its node order) or, given a schedule, its graph with views, in-place
    decisions and caller-owned I/O."""
    if schedule is not None:
        g = schedule.graph
    buffers = buffer_lifetimes(g, schedule)
    arena = [b for b in buffers if b.region == "arena"]
    live = live_bytes_per_tick(arena, len(g.nodes), alignment)
    peak_tick = max(range(len(live)), key=live.__getitem__)
    used, offsets, optimal = place(arena, alignment, planner, live[peak_tick], time_limit)
    check_placement(arena, offsets, alignment)
    for b in buffers:
        if b.region != "arena":
            offsets[b.name] = 0
    arena_bytes = arena_size(arena, offsets, alignment)
    state_offsets, state_bytes = plan_state(g, alignment)
    baseline = live[peak_tick]
    if schedule is not None and (schedule.inplace or schedule.views.elided or schedule.reordered
                                 or schedule.io_external):
        baseline = baseline_bound(schedule, alignment)
    return MemoryPlan(buffers, offsets, arena_bytes, live[peak_tick], peak_tick // 2, alignment, used, optimal,
                      state_offsets, state_bytes, schedule, baseline)


def baseline_bound(schedule, alignment: int) -> int:
    """Lower bound of the model's own order, every buffer in the arena, nothing in place, no views."""
    import dataclasses

    g = schedule.graph
    by_name = {n.name: n for n in g.nodes}
    return layer_bound(dataclasses.replace(g, nodes=[by_name[n] for n in schedule.original_order]), alignment)


def layer_bound(g: Graph, alignment: int) -> int:
    """Lower bound of graph g run layer by layer in its order, nothing in place, no views."""
    return max(live_bytes_per_tick(buffer_lifetimes(g), len(g.nodes), alignment))


def check_fits(plan: MemoryPlan, g: Graph, capacity: int, region: str = "RAM", detail: str = "") -> None:
    """Raise naming the peak step, its live tensors and the shortfall when the plan is too big.

    The model needs its arena plus its persistent state in `region` (`detail`: where the
    capacity comes from)."""
    need = plan.arena_bytes + plan.state_bytes
    if need <= capacity:
        return
    if plan.schedule is not None:
        g = plan.schedule.graph
    step = plan.peak_step
    live = sorted((b for b in plan.arena_buffers if b.first <= step <= b.last), key=lambda b: -b.nbytes)
    node = g.nodes[step].name if g.nodes else "-"
    items = ", ".join(f"{(b.tensors[0] if b.tensors else b.name)} {b.nbytes:,} B" for b in live[:6])
    items += " ..." if len(live) > 6 else ""
    state = f" + {plan.state_bytes:,} B persistent state" if plan.state_bytes else ""
    where = f" ({detail})" if detail else ""
    raise TinymemError(f"model needs {need:,} B of {region} (arena {plan.arena_bytes:,} B{state}) but the "
                       f"board has {capacity:,} B{where}: short by {need - capacity:,} B; peak at step {step} "
                       f"({node}) with live: {items}")
