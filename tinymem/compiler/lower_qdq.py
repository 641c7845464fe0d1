"""`lower_qdq`: QuantizeLinear/DequantizeLinear (QDQ) models -> integer kernels.

The ONNX frontend imports a QDQ model literally: `dequantize` nodes (int8 -> float) feeding
float ops whose outputs go through `quantize` nodes (float -> int8), and weights as
`dequantize(int8 constant with per-channel QuantParams)`. This pass rewrites, until nothing
changes:

1. sink: dequantize -> reshape/transpose/identity becomes reshape/transpose on the integer
   tensor -> dequantize (layout conversions run on int8 and meet the quantize below them);
2. pairs: quantize(dequantize(x)) with the same parameters is x;
3. ops: dequantize -> op -> quantize becomes the op on the integer tensors (TFLite int8
   semantics): conv2d / depthwise_conv2d / fully_connected take the int8 weights (symmetric,
   per-channel along the output channels) and an int32 bias at scale s_in * s_w; add, sub, mul,
   mean, relu-like activations requantize; max/average pooling, concatenation, slices, pads,
   reshapes and transposes need equal input and output parameters (their kernels do not
   requantize).

Whatever does not match stays float between its dequantize and quantize nodes (correct, slower).
The first quantize of a float graph input and the last dequantize of a graph output remain as
IR `quantize` / `dequantize` nodes.
"""

from __future__ import annotations

import numpy as np

from tinymem.ir import Graph, Node, QuantParams, Tensor

LAYOUT = {"reshape", "transpose", "identity"}
WEIGHTED = {"conv2d": 0, "depthwise_conv2d": 3, "fully_connected": 0}  # op -> output-channel axis of weights
REQUANTIZING = {"add", "sub", "mul", "mean", "relu", "leaky_relu", "hard_swish", "prelu"}
SAME_PARAMS = {"max_pool2d", "average_pool2d", "concatenation", "strided_slice", "pad", "split", "reshape",
               "transpose"}
#: ops whose int8 output parameters are fixed by TFLite (scale, zero point)
FIXED_OUTPUT = {"logistic": (1 / 256, -128), "softmax": (1 / 256, -128), "tanh": (1 / 128, 0),
                "log_softmax": (16 / 256, 127)}
INT8 = ("s8",)


def _same_quant(a: Tensor, b: Tensor) -> bool:
    if a.quant is None or b.quant is None or a.dtype != b.dtype:
        return False
    qa, qb = a.quant, b.quant
    return (qa.scale.shape == qb.scale.shape and np.array_equal(qa.scale, qb.scale)
            and np.array_equal(qa.zero_point, qb.zero_point) and qa.axis == qb.axis)


class _Rewriter:
    def __init__(self, g: Graph):
        self.g = g
        self.refresh()

    def refresh(self):
        self.prod = self.g.producers()
        self.cons = self.g.consumers()

    def dq_source(self, name: str) -> str | None:
        """x when `name` = dequantize(x), else None."""
        p = self.prod.get(name)
        if p is not None and p.op == "dequantize":
            return p.inputs[0]
        return None

    def sole_quantize(self, name: str) -> Node | None:
        users = self.cons.get(name, [])
        if name in self.g.outputs or len(users) != 1 or users[0].op != "quantize":
            return None
        return users[0]


def _sink(rw: _Rewriter) -> bool:
    g = rw.g
    for node in list(g.nodes):
        if node.op not in LAYOUT:
            continue
        x = rw.dq_source(node.inputs[0])
        if x is None or g.tensor(x).is_const or g.tensor(x).quant is None or g.tensor(x).quant.per_channel:
            continue
        xt, y = g.tensor(x), g.tensor(node.outputs[0])
        yq = g.fresh_name(f"{node.outputs[0]}_q")
        g.add_tensor(Tensor(yq, y.shape, xt.dtype, QuantParams(xt.quant.scale, xt.quant.zero_point)))
        i = g.nodes.index(node)
        g.nodes[i:i + 1] = [Node(node.op, node.name, [x] + node.inputs[1:], [yq], dict(node.attrs)),
                            Node("dequantize", f"{node.name}_dq", [yq], [node.outputs[0]], {})]
        rw.refresh()
        return True
    return False


def _pairs(rw: _Rewriter) -> bool:
    g = rw.g
    changed = False
    for node in list(g.nodes):
        if node.op != "quantize" or node.outputs[0] in g.outputs:
            continue
        x = rw.dq_source(node.inputs[0])
        if x is None or not _same_quant(g.tensor(x), g.tensor(node.outputs[0])):
            continue
        g.rename_uses(node.outputs[0], x)
        g.nodes.remove(node)
        changed = True
    if changed:
        g.prune()
        rw.refresh()
    return changed


def _bias(g: Graph, rw: _Rewriter, name: str | None, x: Tensor, w: Tensor, channels: int) -> str | None | bool:
    """int32 bias constant at scale s_x * s_w, or None (no bias); False when impossible."""
    if name is None:
        return None
    scale = (np.float64(x.scale) * w.quant.scale.astype(np.float64)).reshape(-1)
    src = rw.dq_source(name)
    if src is not None and g.tensor(src).is_const and g.tensor(src).dtype == "s32":
        bt = g.tensor(src)
        bscale = np.broadcast_to(bt.quant.scale.astype(np.float64), scale.shape)
        if np.all(bt.quant.zero_point == 0) and np.allclose(bscale, scale, rtol=1e-6, atol=0):
            return src
        real = (bt.data.astype(np.float64) - bt.quant.zero_point) * bt.quant.scale
    elif g.tensor(name).is_const and g.tensor(name).dtype == "f32":
        real = g.tensor(name).data.astype(np.float64)
    else:
        return False
    real = np.broadcast_to(real.reshape(-1), (channels,))
    q = np.round(real / np.broadcast_to(scale, (channels,)))
    if np.any(np.abs(q) > 2**31 - 1):
        return False
    return g.add_const(f"{name}_s32", q.astype(np.int32), QuantParams(np.broadcast_to(scale, (channels,)), 0, 0))


def _lower_weighted(g, rw, node, q) -> Node | None:
    x = rw.dq_source(node.inputs[0])
    w = rw.dq_source(node.inputs[1])
    if x is None or w is None:
        return None
    xt, wt = g.tensor(x), g.tensor(w)
    if xt.dtype not in INT8 or xt.quant is None or xt.quant.per_channel or not wt.is_const or wt.dtype not in INT8:
        return None
    if np.any(wt.quant.zero_point != 0):
        return None
    axis = WEIGHTED[node.op]
    channels = wt.shape[axis]
    if wt.quant.per_channel and (wt.quant.axis != axis or wt.quant.scale.size != channels):
        return None
    b = _bias(g, rw, node.input(2), xt, wt, channels)
    if b is False:
        return None
    ins = [x, w] + ([b] if b else [])
    return Node(node.op, node.name, ins, [q.outputs[0]], dict(node.attrs))


def _lower_simple(g, rw, node, quantizers) -> Node | None:
    ins = []
    for name in node.inputs:
        if not name:
            ins.append(name)
            continue
        t = g.tensor(name)
        if t.dtype != "f32":  # already integer (e.g. indices)
            ins.append(name)
            continue
        src = rw.dq_source(name)
        if src is None or g.tensor(src).dtype not in INT8 or g.tensor(src).quant.per_channel:
            return None
        ins.append(src)
    outs = [q.outputs[0] for q in quantizers]
    first_in = g.tensor(next(i for i in ins if i and g.tensor(i).quant is not None))
    if node.op in SAME_PARAMS:
        if not all(_same_quant(g.tensor(i), g.tensor(o)) for i in ins if i and g.tensor(i).quant is not None
                   for o in outs):
            return None
    elif node.op in FIXED_OUTPUT:
        scale, zp = FIXED_OUTPUT[node.op]
        o = g.tensor(outs[0])
        if abs(o.scale - scale) > 1e-6 * scale or o.zero_point != zp:
            return None
    elif node.op not in REQUANTIZING:
        return None
    attrs = dict(node.attrs)
    if node.op == "pad":  # the pad value is stored raw in the tensor's dtype
        q = first_in.quant
        v = int(np.round(float(attrs.get("value", 0.0)) / float(q.scale[0]))) + int(q.zero_point[0])
        attrs["value"] = min(max(v, -128), 127)
    return Node(node.op, node.name, ins, outs, attrs)


def _lower_ops(rw: _Rewriter) -> bool:
    g = rw.g
    for i, node in enumerate(g.nodes):
        if node.op in ("quantize", "dequantize") or any(g.tensor(o).dtype != "f32" for o in node.outputs):
            continue
        if node.op not in WEIGHTED and node.op not in REQUANTIZING and node.op not in SAME_PARAMS \
                and node.op not in FIXED_OUTPUT:
            continue
        quantizers = [rw.sole_quantize(o) for o in node.outputs]
        if any(q is None for q in quantizers) or any(g.tensor(q.outputs[0]).dtype not in INT8 for q in quantizers):
            continue
        if any(g.tensor(q.outputs[0]).quant.per_channel for q in quantizers):
            continue
        if node.op in WEIGHTED:
            new = _lower_weighted(g, rw, node, quantizers[0])
        else:
            new = _lower_simple(g, rw, node, quantizers)
        if new is None:
            continue
        g.nodes[i] = new
        for q in quantizers:
            g.nodes.remove(q)
        g.prune()
        rw.refresh()
        return True
    return False


def lower_qdq(g: Graph) -> Graph:
    if not any(n.op == "dequantize" for n in g.nodes):
        return g
    rw = _Rewriter(g)
    for _ in range(100000):
        if not (_sink(rw) or _pairs(rw) or _lower_ops(rw)):
            break
    g.prune()
    return g
