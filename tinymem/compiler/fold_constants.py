"""`fold_constants`: evaluate nodes whose inputs are all constants (e.g. DEQUANTIZE of float16
weights, shape arithmetic) with their numpy reference, and store the results as constants.

Nodes that write a graph output or persistent state are kept: their result must be written at
run time (an ASSIGN of a constant updates the variable on every call; it is not a constant)."""

import numpy as np

from tinymem.ir import Graph, np_dtype
from tinymem.ops import get_op


def fold_constants(g: Graph) -> Graph:
    kept = []
    for node in g.nodes:
        ins = [n for n in node.inputs if n]
        writes_runtime = any(o in g.outputs or g.tensor(o).persistent for o in node.outputs if o)
        if ins and all(g.tensor(n).is_const for n in ins) and not writes_runtime:
            values = get_op(node.op).reference(node, g, [g.const(n) for n in node.inputs])
            for name, value in zip(node.outputs, values):
                t = g.tensor(name)
                t.data = np.asarray(value, dtype=np_dtype(t.dtype)).reshape(t.shape)
            continue
        kept.append(node)
    g.nodes = kept
    g.prune()
    return g
