"""`tensor_views`: tensors stored inside another tensor's buffer, so that no bytes move.

  reshape (alias ops)   the output is its input, byte for byte;
  concatenation         along an axis with nothing but 1s before it the output is the inputs one
                        after the other: each input becomes a slice of the output and its producer
                        writes straight into it; the concatenation runs no code;
  split                 likewise, each output is a slice of the input; the split runs no code.

Concatenation and split are all-or-nothing: when any part cannot be a slice (a graph input, a
constant, persistent state, a tensor already stored elsewhere, one tensor given twice, or with
`--io external` a graph output that would not be the start of its buffer) the node copies as usual.
Views are independent of the execution order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinymem.ir import Graph
from tinymem.ops import get_op


@dataclass
class Views:
    #: tensor -> (the tensor whose buffer holds it, byte offset in it); roots are absent
    parent: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: concatenation / split nodes that became views (no code)
    elided: set[str] = field(default_factory=set)

    def root(self, tensor: str) -> tuple[str, int]:
        """(root tensor owning the buffer, byte offset of `tensor` in it)."""
        offset = 0
        while tensor in self.parent:
            tensor, off = self.parent[tensor]
            offset += off
        return tensor, offset


def _outer(shape, axis: int) -> int:
    return int(np.prod(shape[:axis], dtype=np.int64))


def tensor_views(g: Graph, io_external: bool = False) -> Views:
    views = Views()

    def free(t: str) -> bool:
        """May `t` be stored as a slice of another buffer?"""
        tt = g.tensor(t)
        return not (tt.is_const or tt.persistent or t in g.inputs or t in views.parent
                    or (io_external and t in g.outputs) or tt.size == 0)

    for node in g.nodes:
        op = get_op(node.op)
        if op.alias and node.inputs and node.outputs:
            views.parent[node.outputs[0]] = (node.inputs[0], 0)
    for node in g.nodes:
        if node.op != "concatenation" or len(node.outputs) != 1:
            continue
        out = g.tensor(node.outputs[0])
        ins = list(node.inputs)
        if (_outer(out.shape, node.attrs.get("axis", 0)) != 1 or len(set(ins)) != len(ins)
                or out.persistent or not all(t and free(t) for t in ins)
                or node.outputs[0] in ins or any(views.root(node.outputs[0])[0] == t for t in ins)):
            continue
        offset = 0
        for t in ins:
            views.parent[t] = (node.outputs[0], offset)
            offset += g.tensor(t).nbytes
        views.elided.add(node.name)
    for node in g.nodes:
        if node.op != "split" or not node.inputs:
            continue
        x = g.tensor(node.inputs[0])
        outs = list(node.outputs)
        if (_outer(x.shape, node.attrs.get("axis", 0)) != 1 or x.is_const or x.persistent
                or len(set(outs)) != len(outs) or not all(t and free(t) for t in outs)):
            continue
        offset = 0
        for t in outs:
            views.parent[t] = (node.inputs[0], offset)
            offset += g.tensor(t).nbytes
        views.elided.add(node.name)
    return views
