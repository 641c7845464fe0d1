"""Structural checks run between pipeline stages (in tests and after each pass)."""

from tinymem.ir.dtypes import DTYPES
from tinymem.ir.graph import Graph


class IRError(AssertionError):
    pass


def verify(g: Graph) -> Graph:
    """Check that `g` is well formed: SSA, topologically ordered, static shapes, known dtypes.

    Returns the graph so that it can be chained; raises IRError naming the first defect.
    """
    defined = set(g.inputs) | {n for n, t in g.tensors.items() if t.is_const or t.persistent}
    for name in g.inputs:
        if name not in g.tensors:
            raise IRError(f"graph input {name!r} has no tensor")
    for node in g.nodes:
        for t in node.inputs:
            if not t:
                continue
            if t not in g.tensors:
                raise IRError(f"node {node.name} reads unknown tensor {t!r}")
            if t not in defined:
                raise IRError(f"node {node.name} reads {t!r} before it is produced")
        for t in node.outputs:
            if t in defined and not g.tensors[t].persistent:
                raise IRError(f"tensor {t!r} is produced twice (second time by {node.name})")
            if t not in g.tensors:
                raise IRError(f"node {node.name} writes unknown tensor {t!r}")
            defined.add(t)
    for name in g.outputs:
        if name not in defined:
            raise IRError(f"graph output {name!r} is never produced")
    for t in g.tensors.values():
        if t.dtype not in DTYPES:
            raise IRError(f"tensor {t.name!r} has unknown dtype {t.dtype!r}")
        if any(d < 0 for d in t.shape):
            raise IRError(f"tensor {t.name!r} has a dynamic shape {t.shape}")
        if t.is_const and tuple(t.data.shape) != t.shape:
            raise IRError(f"constant {t.name!r} data shape {t.data.shape} != {t.shape}")
    return g
