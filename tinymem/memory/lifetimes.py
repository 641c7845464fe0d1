"""`buffer_lifetimes`: which bytes must exist at which step of the schedule.

Step i is the execution of node i. Graph inputs are live from step 0, graph outputs until the last
step. Alias ops (reshapes) do not get a buffer: their output shares the input's buffer, whose
lifetime is extended to cover every alias. Kernel scratch is a buffer live during its node only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinymem.ir import Graph
from tinymem.ops import get_op


@dataclass
class Buffer:
    name: str
    nbytes: int
    first: int
    last: int
    tensors: list[str] = field(default_factory=list)  # tensors stored in this buffer (aliases)
    kind: str = "activation"  # activation | scratch

    def overlaps(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


def alias_roots(g: Graph) -> dict[str, str]:
    """Tensor -> name of the tensor whose buffer it uses (itself unless produced by an alias op)."""
    root = {}
    for node in g.nodes:
        if get_op(node.op).alias:
            src = node.inputs[0]
            root[node.outputs[0]] = root.get(src, src)
    return root


def buffer_lifetimes(g: Graph) -> list[Buffer]:
    roots = alias_roots(g)
    last_step = max(len(g.nodes) - 1, 0)
    buffers: dict[str, Buffer] = {}

    def touch(tensor: str, step: int):
        t = g.tensor(tensor)
        if t.is_const or t.persistent:
            return
        r = roots.get(tensor, tensor)
        b = buffers.get(r)
        if b is None:
            b = buffers[r] = Buffer(r, g.tensor(r).nbytes, step, step)
        b.first, b.last = min(b.first, step), max(b.last, step)
        if tensor not in b.tensors:
            b.tensors.append(tensor)

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
        nbytes = get_op(node.op).scratch_bytes(node, g)
        if nbytes:
            scratch.append(Buffer(f"scratch:{node.name}", nbytes, step, step, [], "scratch"))
    for name in g.outputs:
        touch(name, last_step)
    return list(buffers.values()) + scratch
