"""`plan_inplace`: which nodes write their output over an input that dies at that node.

A node may run in place over input x when
  - its op says it can (`Op.inplace_scratch` is not None: elementwise ops over an input of the
    output's shape; int8 conv2d / depthwise_conv2d with their in-place kernels);
  - x is the whole of its buffer and that buffer dies at this node: no later node, no graph output
    and no other input of this node reads it;
  - x's buffer is not a graph input (unless `overwrite_inputs`), not caller-owned I/O
    (`--io external`), not persistent state, not a constant;
  - the output is the whole of a buffer of its own (not a slice of a concatenation) and not
    caller-owned;
  - it pays: the scratch it adds is smaller than the bytes it saves, min(input, output).
The output then starts at the input's address (relative offset 0): the memory planner places the
two buffers together (tinymem/memory/lifetimes.py), the input ending and the output starting
within the step. When several inputs qualify (a residual Add) the largest saving wins, then the
first input.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.ir import Graph
from tinymem.ops import get_op
from tinymem.schedule.views import Views


@dataclass(frozen=True)
class InPlace:
    node: str
    input: str  # the tensor whose buffer the output overwrites
    output: str
    scratch_bytes: int  # the node's scratch when it runs in place
    saved_bytes: int  # min(input, output) - added scratch


def align_up(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def buffer_bytes(g: Graph, views: Views) -> dict[str, int]:
    """Root tensor -> bytes of its buffer (the extent of every tensor stored in it)."""
    size: dict[str, int] = {}
    for name, t in g.tensors.items():
        if t.is_const or t.persistent:
            continue
        root, off = views.root(name)
        size[root] = max(size.get(root, 0), off + t.nbytes)
    return size


def whole(g: Graph, views: Views, sizes: dict[str, int], tensor: str) -> str | None:
    """The root of `tensor` when the tensor is its whole buffer, else None."""
    t = g.tensor(tensor)
    if t.is_const or t.persistent:
        return None
    root, off = views.root(tensor)
    return root if off == 0 and t.nbytes == sizes.get(root) else None


def candidates(g: Graph, node, views: Views, sizes: dict[str, int], alignment: int,
               forbidden: set[str]) -> list[tuple[str, str, int, int]]:
    """Static in-place options of `node`: (input tensor, its root, scratch, saving) that hold
    whatever the order (the input must still die at the node). forbidden: roots never overwritten."""
    if len(node.outputs) != 1 or not node.outputs[0]:
        return []
    op = get_op(node.op)
    y = node.outputs[0]
    y_root = whole(g, views, sizes, y)
    if y_root != y or y in forbidden:
        return []
    normal = op.scratch_bytes(node, g)
    out = []
    for i, x in enumerate(node.inputs):
        if not x:
            continue
        rx = whole(g, views, sizes, x)
        if rx is None or rx in forbidden:
            continue
        if any(t and t != x and views.root(t)[0] == rx for t in node.inputs if not g.tensor(t).is_const):
            continue
        scratch = op.inplace_scratch(node, g, i)
        if scratch is None:
            continue
        saving = min(align_up(sizes[rx], alignment), align_up(sizes[y], alignment)) \
            - (align_up(scratch, alignment) - align_up(normal, alignment))
        if saving > 0:
            out.append((x, rx, scratch, saving))
    out.sort(key=lambda c: -c[3])
    return out


def forbidden_roots(g: Graph, views: Views, overwrite_inputs: bool, io_external: bool) -> set[str]:
    """Buffers no node may overwrite in place (graph inputs; with external I/O also outputs)."""
    roots = set()
    if not overwrite_inputs or io_external:
        roots |= {views.root(t)[0] for t in g.inputs}
    if io_external:
        roots |= {views.root(t)[0] for t in g.outputs}
    return roots


def plan_inplace(g: Graph, views: Views, alignment: int = 16, overwrite_inputs: bool = False,
                 io_external: bool = False) -> dict[str, InPlace]:
    """node name -> InPlace for the nodes of g (in its order) that run in place."""
    sizes = buffer_bytes(g, views)
    forbidden = forbidden_roots(g, views, overwrite_inputs, io_external)
    last: dict[str, int] = {}
    for step, node in enumerate(g.nodes):
        for t in list(node.inputs) + list(node.outputs):
            if t and t in g.tensors and not g.tensor(t).is_const and not g.tensor(t).persistent:
                last[views.root(t)[0]] = step
    outputs = {views.root(t)[0] for t in g.outputs}
    decisions: dict[str, InPlace] = {}
    for step, node in enumerate(g.nodes):
        if node.name in views.elided or get_op(node.op).alias:
            continue
        for x, rx, scratch, saving in candidates(g, node, views, sizes, alignment, forbidden):
            if last.get(rx) == step and rx not in outputs:
                decisions[node.name] = InPlace(node.name, x, node.outputs[0], scratch, saving)
                break
    return decisions
