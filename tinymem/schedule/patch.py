"""`choose_patch`: which leading stage of a CNN runs patch by patch, and on which grid (`--patch`).

  off      layer by layer (the default)
  S:NxM    the first S operators on an N x M grid of output patches
  auto     every split point S and grid n x m (n, m in 2..8) whose extra MACs stay within
           `--max-mac-overhead` of the model's MACs (default 0.15; for each n, m grows until the
           budget or the stage output is exceeded: more columns only add halo) is scheduled and its buffer
           lifetimes give its peak (the most bytes live at once, a lower bound of any arena);
           the ordinary memory planner (tinymem/memory) then places the candidates in order of
           their peak until no later one can beat the best arena found. The smallest arena wins
           (ties: fewer MACs), and only when it is smaller than the arena without patching.

A chosen plan replaces the stage's operators by one `patch_stage` node (tinymem/ops/patch_stage.py)
that reads the stage input and writes the whole stage output; the buffers of one patch form its
scratch block (tinymem/memory/patch_arena.py). The rest of the network runs layer by layer.

`--stream-input`: the stage input is fetched window by window through an application callback
(tinymem/patch_stage.h), so it takes no RAM at all; it needs a patched stage (auto then always
patches: the stage input leaves the arena).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from tinymem.errors import TinymemError
from tinymem.ir import Graph, Node
from tinymem.memory.patch_arena import PatchArena, plan_patch_arena
from tinymem.ops import get_op
from tinymem.schedule.patch_plan import PatchPlan, StageError, patch_plan
from tinymem.schedule.schedule import ScheduleOptions, make_schedule

GRID_SIZES = range(2, 9)
DEFAULT_MAX_OVERHEAD = 0.15


@dataclass
class Candidate:
    split: int
    grid: tuple[int, int]
    peak_bytes: int | None  # most live bytes at any step of its schedule; None: over the MAC budget
    arena_bytes: int | None  # planned arena; None: not planned (over budget, or its peak cannot win)
    extra_macs: int
    overhead: float  # extra MACs / the model's MACs


@dataclass
class PatchChoice:
    mode: str  # the --patch value
    stream_input: bool
    max_overhead: float
    model_macs: int  # layer by layer
    arena_before: int  # arena without patching (the input in the arena)
    plan: PatchPlan | None = None  # None: layer by layer
    arena: PatchArena | None = None
    candidates: list[Candidate] = field(default_factory=list)

    def apply(self, g: Graph) -> Graph:
        return g if self.plan is None else patched_graph(g, self.plan, self.arena, self.stream_input)


def parse_patch(text: str) -> tuple[int, tuple[int, int]] | str:
    """"auto" / "off" or (S, (N, M)) from "S:NxM"."""
    if text in ("auto", "off"):
        return text
    m = re.fullmatch(r"(\d+):(\d+)x(\d+)", text.strip())
    if not m:
        raise TinymemError(f"--patch {text!r}: expected auto, off or S:NxM (e.g. 6:3x3)")
    return int(m[1]), (int(m[2]), int(m[3]))


def patched_graph(g: Graph, plan: PatchPlan, arena: PatchArena, stream_input: bool) -> Graph:
    """g with its first plan.split nodes replaced by one patch_stage node."""
    rest = g.nodes[plan.split:]
    if stream_input and any(plan.input in n.inputs for n in rest):
        raise TinymemError(f"--stream-input: input {plan.input!r} is also read after the patched stage")
    used = {t for n in rest for t in (*n.inputs, *n.outputs) if t} | set(g.inputs) | set(g.outputs)
    tensors = {k: v for k, v in g.tensors.items() if k in used}
    n, m = plan.grid
    node = Node("patch_stage", f"patch_stage_{plan.split}_{n}x{m}", [plan.input], [plan.output],
                {"plan": plan, "arena": arena, "stream_input": stream_input})
    return Graph(g.name, tensors, [node, *rest], list(g.inputs), list(g.outputs), g.kernels)


def _with_stream(options: ScheduleOptions, plan: PatchPlan, stream_input: bool) -> ScheduleOptions:
    return dataclasses.replace(options, stream_inputs=(plan.input,) if stream_input else ())


def _arena(g: Graph, options: ScheduleOptions, planner: str = "auto") -> tuple[int, int]:
    """(arena bytes, lower bound: the most live bytes at any half step) of g scheduled and planned."""
    from tinymem.memory.plan import plan_memory

    schedule = make_schedule(g, options)
    plan = plan_memory(schedule.graph, options.alignment, planner, time_limit=5.0, schedule=schedule)
    return plan.arena_bytes, plan.lower_bound_bytes


def _ticks(g: Graph, options: ScheduleOptions) -> list[int]:
    """Aligned live bytes per half step of g's schedule (their maximum: a lower bound of its arena)."""
    from tinymem.memory.lifetimes import buffer_lifetimes
    from tinymem.memory.plan import live_bytes_per_tick

    schedule = make_schedule(g, options)
    buffers = [b for b in buffer_lifetimes(schedule.graph, schedule) if b.region == "arena"]
    return live_bytes_per_tick(buffers, len(schedule.graph.nodes), options.alignment)


def _grids(g: Graph, split: int, model_macs: int, max_overhead: float) -> list[tuple[Candidate, PatchPlan | None]]:
    """The candidates of one split point with their plans (None: over the MAC budget); none when
    the stage cannot be patched. For each n, m grows until the budget or the stage output is
    exceeded (more columns only add halo)."""
    out = []
    for n in GRID_SIZES:
        for m in GRID_SIZES:
            try:
                plan = patch_plan(g, split, (n, m))
            except StageError:
                return []  # whatever the grid
            except TinymemError:
                break  # the grid is larger than the stage output
            overhead = plan.extra_macs / max(model_macs, 1)
            out.append((Candidate(split, (n, m), None, None, plan.extra_macs, overhead),
                        plan if overhead <= max_overhead else None))
            if overhead > max_overhead:
                break
    return out


def choose_patch(g: Graph, mode: str, options: ScheduleOptions, max_overhead: float = DEFAULT_MAX_OVERHEAD,
                 stream_input: bool = False) -> PatchChoice:
    """The patch plan for `--patch mode` (see the module doc); options: how the rest is scheduled."""
    want = parse_patch(mode)
    if want == "off" and stream_input:
        raise TinymemError("--stream-input needs a patched stage: use --patch auto or --patch S:NxM")
    if stream_input and options.io == "external":
        raise TinymemError("--stream-input with --io external: the streamed input has no buffer to hand over "
                           "(the callback supplies it); use --io arena")
    model_macs = sum(get_op(n.op).macs(n, g) for n in g.nodes)
    choice = PatchChoice(mode, stream_input, max_overhead, model_macs, 0)
    if want == "off":
        return choice
    choice.arena_before = _arena(g, options)[0]
    if want != "auto":
        split, grid = want
        choice.plan = patch_plan(g, split, grid)
        choice.arena = plan_patch_arena([p.graph for p in choice.plan.patches], options.alignment, options.inplace)
        return choice
    evaluated = []  # (candidate, plan, patch arena, patched graph)
    schedules: dict[int, tuple[list[int], int]] = {}  # split point -> (live bytes per tick, its block)

    def _aligned(arena: PatchArena) -> int:
        return -(-arena.nbytes // options.alignment) * options.alignment

    def evaluate(cand: Candidate, plan: PatchPlan) -> None:
        arena = plan_patch_arena([p.graph for p in plan.patches], options.alignment, options.inplace)
        patched = patched_graph(g, plan, arena, stream_input)
        # the stage is step 0 (ticks 0 and 1, its block as scratch in both); the rest of the
        # schedule does not depend on the grid, so it is scheduled once per split point
        if plan.split not in schedules:
            schedules[plan.split] = (_ticks(patched, _with_stream(options, plan, stream_input)), _aligned(arena))
        ticks, block = schedules[plan.split]
        cand.peak_bytes = max(max(ticks[:2]) - block + _aligned(arena), max(ticks[2:], default=0))
        evaluated.append((cand, plan, arena, patched))

    limit = next((i for i, n in enumerate(g.nodes) if get_op(n.op).receptive_field(n, g) is None), len(g.nodes))
    for split in range(1, limit + 1):
        for cand, plan in _grids(g, split, model_macs, max_overhead):
            choice.candidates.append(cand)
            if plan is not None:
                evaluate(cand, plan)
    # the real planner on the candidates in order of their peak, until no later one can win
    best = None
    for cand, plan, arena, patched in sorted(evaluated, key=lambda e: (e[0].peak_bytes, e[0].extra_macs)):
        if best is not None and cand.peak_bytes >= best[0].arena_bytes:
            break
        cand.arena_bytes = _arena(patched, _with_stream(options, plan, stream_input))[0]
        if best is None or (cand.arena_bytes, cand.extra_macs) < (best[0].arena_bytes, best[0].extra_macs):
            best = (cand, plan, arena)
    if best is not None and (stream_input or best[0].arena_bytes < choice.arena_before):
        choice.plan, choice.arena = best[1], best[2]
    elif stream_input:
        raise TinymemError(f"--stream-input: no patch plan within --max-mac-overhead {max_overhead}")
    return choice
