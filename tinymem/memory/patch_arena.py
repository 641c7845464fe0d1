"""`plan_patch_arena`: where the buffers of one patch live while a patched stage runs.

Every patch runs the stage's operators in the same order on buffers of the same names (the
input window, the intermediate patches, the output patch, kernel scratch); only their sizes
differ between patches (border patches are smaller). The buffers' lifetimes over the stage are
those of an ordinary graph (tinymem/memory/lifetimes.py) and each buffer is as large as its
largest patch needs, so one placement by the ordinary planners serves every patch. The result
is one block (the stage node's scratch in the model's arena) holding them all.

With in-place execution a node of the stage writes its output over a dying input
(tinymem/schedule/inplace.py) when it can do so in every patch; the patch's input window is the
stage's own copy, so it may be overwritten too.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.memory.heuristics import arena_size
from tinymem.memory.lifetimes import Buffer, buffer_lifetimes
from tinymem.memory.plan import check_placement, live_bytes_per_tick, place
from tinymem.schedule.inplace import InPlace, plan_inplace
from tinymem.schedule.schedule import Schedule, ScheduleOptions
from tinymem.schedule.views import Views


@dataclass
class PatchArena:
    buffers: list[Buffer]  # each at its largest size over the patches
    offsets: dict[str, int]  # buffer name -> byte offset in the block
    nbytes: int  # size of the block
    planner: str
    inplace: list[dict[str, InPlace]]  # per patch: node name -> its in-place decision (the same nodes in all)

    def offset_of(self, tensor: str) -> int:
        for b in self.buffers:
            if tensor in b.tensors:
                return self.offsets[b.name] + b.tensor_offset(tensor)
        raise KeyError(tensor)

    def buffer(self, name: str) -> Buffer:
        return next(b for b in self.buffers if b.name == name)


def plan_patch_arena(graphs, alignment: int, inplace: bool = True, planner: str = "heuristic") -> PatchArena:
    """graphs: the stage's graph for each patch (tinymem.schedule.patch_plan.Patch.graph); each
    distinct graph is planned once."""
    unique = list({id(g): g for g in graphs}.values())
    index = {id(g): k for k, g in enumerate(unique)}
    arena = _plan(unique, alignment, inplace, planner)
    arena.inplace = [arena.inplace[index[id(g)]] for g in graphs]
    return arena


def _plan(graphs, alignment: int, inplace: bool, planner: str) -> PatchArena:
    decisions = [plan_inplace(g, Views(), alignment, overwrite_inputs=True) if inplace else {} for g in graphs]
    common = {name: d.input for name, d in decisions[0].items()
              if all(name in other and other[name].input == d.input for other in decisions)}
    decisions = [{k: v for k, v in d.items() if k in common} for d in decisions]
    merged: dict[str, Buffer] = {}
    for g, d in zip(graphs, decisions):
        schedule = Schedule(g, Views(), d, ScheduleOptions(alignment=alignment))
        for b in buffer_lifetimes(g, schedule):
            old = merged.setdefault(b.name, b)
            if (old.first, old.last) != (b.first, b.last):
                raise ValueError(f"internal: buffer {b.name} lives differently in two patches")
            if (old.group, old.delta, old.late_start, old.early_end) != (b.group, b.delta, b.late_start, b.early_end):
                raise ValueError(f"internal: buffer {b.name} is in place differently in two patches")
            old.nbytes = max(old.nbytes, b.nbytes)
    buffers = list(merged.values())
    steps = max(len(g.nodes) for g in graphs)
    lower = max(live_bytes_per_tick(buffers, steps, alignment))
    used, offsets, _ = place(buffers, alignment, planner, lower)
    check_placement(buffers, offsets, alignment)
    return PatchArena(buffers, offsets, arena_size(buffers, offsets, alignment), used, decisions)
