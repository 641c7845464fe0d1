"""`interpret`: run the IR with each operator's numpy reference (the oracle for the C kernels)."""

from __future__ import annotations

import numpy as np

from tinymem.ir import Graph, np_dtype
from tinymem.ops import get_op


def interpret(g: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for name, x in zip(g.inputs, inputs):
        t = g.tensor(name)
        values[name] = np.asarray(x, dtype=np_dtype(t.dtype)).reshape(t.shape)
    for name, t in g.tensors.items():
        if t.is_const:
            values[name] = t.data
    for node in g.nodes:
        outs = get_op(node.op).reference(node, g, [values[n] if n else None for n in node.inputs])
        for name, value in zip(node.outputs, outs):
            t = g.tensor(name)
            values[name] = np.asarray(value, dtype=np_dtype(t.dtype)).reshape(t.shape)
    return [values[n] for n in g.outputs]
