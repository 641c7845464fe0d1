"""`interpret`: run the IR with each operator's numpy reference (the oracle for the C kernels)."""

from __future__ import annotations

import numpy as np

from tinymem.ir import Graph, np_dtype
from tinymem.ops import get_op


def interpret(g: Graph, inputs: list[np.ndarray], matmul=None) -> list[np.ndarray]:
    """Outputs of `g` on `inputs`. `matmul`: computes the integer accumulations of the ops that
    take one (`Op.integer_matmul`: int8 fully_connected and conv2d with constant weights) instead
    of `tinymem.ops.op.exact_matmul`; everything else (requantization included) is unchanged."""
    extra = {"matmul": matmul} if matmul is not None else {}
    values: dict[str, np.ndarray] = {}
    for name, x in zip(g.inputs, inputs):
        t = g.tensor(name)
        values[name] = np.asarray(x, dtype=np_dtype(t.dtype)).reshape(t.shape)
    for name, t in g.tensors.items():
        if t.is_const:
            values[name] = t.data
    for node in g.nodes:
        op = get_op(node.op)
        outs = op.reference(node, g, [values[n] if n else None for n in node.inputs],
                            **(extra if op.integer_matmul else {}))
        for name, value in zip(node.outputs, outs):
            t = g.tensor(name)
            values[name] = np.asarray(value, dtype=np_dtype(t.dtype)).reshape(t.shape)
    return [values[n] for n in g.outputs]
