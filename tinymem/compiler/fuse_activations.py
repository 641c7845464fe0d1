"""`fuse_activations`: a relu / relu6 / relu_n1_to_1 that is the only reader of a conv, fc,
add/sub/mul or pooling output becomes that node's `act` attribute (TFLite's fused activation).

Float: the clamp is the same computation. Integer: fused only when the relu does not requantize
(its input and output share scale and zero point), so the clamp to the quantized bounds of
[min, max] is exactly what the standalone kernel computes.
"""

from __future__ import annotations

import numpy as np

from tinymem.ir import Graph

FUSING = {"conv2d", "depthwise_conv2d", "fully_connected", "add", "sub", "mul", "average_pool2d", "max_pool2d"}
ACTS = {(0.0, None): "relu", (0.0, 6.0): "relu6", (-1.0, 1.0): "relu_n1_to_1"}


def _act(node) -> str | None:
    lo, hi = node.attrs.get("min"), node.attrs.get("max")
    key = (None if lo is None else float(lo), None if hi is None else float(hi))
    return ACTS.get(key)


def _same_quant(a, b) -> bool:
    if a.dtype != b.dtype:
        return False
    if a.dtype == "f32":
        return True
    if a.quant is None or b.quant is None or a.quant.per_channel or b.quant.per_channel:
        return False
    return np.float32(a.scale) == np.float32(b.scale) and a.zero_point == b.zero_point


def fuse_activations(g: Graph) -> Graph:
    prod = g.producers()
    cons = g.consumers()
    dropped = set()
    for node in g.nodes:
        if node.op != "relu" or _act(node) is None:
            continue
        src = node.inputs[0]
        p = prod.get(src)
        if p is None or p.op not in FUSING or p.attrs.get("act", "none") != "none" or id(p) in dropped:
            continue
        if src in g.outputs or len(cons.get(src, [])) != 1 or len(p.outputs) != 1:
            continue
        if not _same_quant(g.tensor(src), g.tensor(node.outputs[0])):
            continue
        p.attrs["act"] = _act(node)
        p.outputs = [node.outputs[0]]
        dropped.add(id(node))
    if dropped:
        g.nodes = [n for n in g.nodes if id(n) not in dropped]
        g.prune()
    return g
