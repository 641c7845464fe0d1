"""`buffer_lifetimes`: which bytes must exist at which step of the schedule.

Step i is the execution of node i. Graph inputs are live from step 0, graph outputs until the last
step. Views (tinymem/schedule/views.py) do not get a buffer of their own: a reshape shares its
input's buffer, the inputs of a zero-copy concatenation are slices of its output's buffer; the
buffer lives as long as any tensor stored in it. Kernel scratch is a buffer live during its node.

Time is counted in half steps ("ticks"): step i covers ticks 2i and 2i+1. A buffer normally spans
ticks 2*first .. 2*last + 1. When node i runs in place, its input buffer ends at tick 2i
(`early_end`) and its output buffer starts at tick 2i + 1 (`late_start`): the two never count as
live together, and the planner places them in one group at a fixed relative offset (`group`,
`delta`), so the output starts at the input's address. Scratch of node i spans both ticks.

With `--io external` the buffers holding graph inputs and outputs belong to the application
(region `input:<k>` / `output:<k>`) and are not planned; nor is an input streamed into a patched
stage (`--stream-input`, region `stream:<k>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinymem.errors import TinymemError
from tinymem.ir import Graph
from tinymem.ops import get_op


@dataclass
class Buffer:
    name: str
    nbytes: int
    first: int
    last: int
    tensors: list[str] = field(default_factory=list)  # tensors stored in this buffer (views)
    kind: str = "activation"  # activation | scratch
    offsets: dict[str, int] = field(default_factory=dict)  # tensor -> byte offset in the buffer (0 if absent)
    late_start: bool = False  # written in place over its group's previous buffer (from tick 2*first+1)
    early_end: bool = False  # overwritten in place at its last step (until tick 2*last)
    group: str | None = None  # in-place group: placed together, at `delta` from the group's base
    delta: int = 0
    region: str = "arena"  # arena | input:<k> | output:<k> (caller-owned with --io external)

    @property
    def t0(self) -> int:
        return 2 * self.first + (1 if self.late_start else 0)

    @property
    def t1(self) -> int:
        return 2 * self.last + (0 if self.early_end else 1)

    def overlaps(self, other: Buffer) -> bool:
        """Live at a common tick (then they may not share bytes, unless in-place partners)."""
        return self.t0 <= other.t1 and other.t0 <= self.t1

    def tensor_offset(self, tensor: str) -> int:
        return self.offsets.get(tensor, 0)


def alias_roots(g: Graph) -> dict[str, str]:
    """Tensor -> name of the tensor whose buffer it uses (itself unless produced by an alias op)."""
    root = {}
    for node in g.nodes:
        if get_op(node.op).alias:
            src = node.inputs[0]
            root[node.outputs[0]] = root.get(src, src)
    return root


def buffer_lifetimes(g: Graph, schedule=None) -> list[Buffer]:
    """Buffers of graph g in its node order. schedule: a tinymem.schedule.Schedule for g (views,
    in-place decisions, external I/O); None: reshapes as aliases only, nothing in place."""
    if schedule is None:
        from tinymem.schedule.schedule import ScheduleOptions, _aliases_only
        from tinymem.schedule.schedule import Schedule

        schedule = Schedule(g, _aliases_only(g), {}, ScheduleOptions(inplace=False, reorder=False))
    views = schedule.views
    last_step = max(len(g.nodes) - 1, 0)
    buffers: dict[str, Buffer] = {}

    def touch(tensor: str, step: int):
        t = g.tensor(tensor)
        if t.is_const or t.persistent:
            return
        root, off = views.root(tensor)
        b = buffers.get(root)
        if b is None:
            b = buffers[root] = Buffer(root, g.tensor(root).nbytes, step, step)
        b.nbytes = max(b.nbytes, off + t.nbytes)
        b.first, b.last = min(b.first, step), max(b.last, step)
        if tensor not in b.tensors:
            b.tensors.append(tensor)
            if off:
                b.offsets[tensor] = off

    for name in g.inputs:
        touch(name, 0)
    scratch = []
    for step, node in enumerate(g.nodes):
        for t in node.inputs:
            if t:
                touch(t, step)
        for t in node.outputs:
            if t:
                touch(t, step)
        decision = schedule.inplace.get(node.name)
        nbytes = decision.scratch_bytes if decision else get_op(node.op).scratch_bytes(node, g)
        if nbytes:
            scratch.append(Buffer(f"scratch:{node.name}", nbytes, step, step, [], "scratch"))
    for name in g.outputs:
        touch(name, last_step)
    if schedule.io_external:
        for kind, names in (("input", g.inputs), ("output", g.outputs)):
            for k, name in enumerate(names):
                b = buffers.get(views.root(name)[0])
                if b is None:
                    continue
                if b.region != "arena":
                    raise TinymemError(f"--io external: tensor {name!r} shares its buffer with {b.region} "
                                       "(a graph input passed straight to an output): use --io arena")
                if views.root(name)[1] != 0 or g.tensor(name).nbytes != b.nbytes:
                    raise TinymemError(f"--io external: graph {kind} {name!r} is part of a larger buffer")
                b.region = f"{kind}:{k}"
    for k, name in enumerate(g.inputs):  # --stream-input: the application fetches it window by window
        if name in schedule.options.stream_inputs and views.root(name)[0] in buffers:
            buffers[views.root(name)[0]].region = f"stream:{k}"
    _link_inplace(g, schedule, buffers)
    return list(buffers.values()) + scratch


def _link_inplace(g: Graph, schedule, buffers: dict[str, Buffer]) -> None:
    """Mark in-place partners: the input's buffer ends, the output's starts, within the step,
    at the same address (one group, relative offset 0)."""
    views = schedule.views
    for step, node in enumerate(g.nodes):
        d = schedule.inplace.get(node.name)
        if d is None:
            continue
        bx, by = buffers[views.root(d.input)[0]], buffers[views.root(d.output)[0]]
        if bx.last != step or by.first != step or bx.region != "arena" or by.region != "arena":
            raise TinymemError(f"internal: in-place decision for {node.name} does not match the lifetimes")
        bx.early_end, by.late_start = True, True
        if bx.group is None:
            bx.group, bx.delta = bx.name, 0
        old = by.group
        by.group, by.delta = bx.group, bx.delta
        if old is not None and old != bx.group:  # by already led a group (its later partners)
            for b in buffers.values():
                if b.group == old:
                    b.group = bx.group
                    b.delta += bx.delta
