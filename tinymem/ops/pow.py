"""Pow: ONNX Pow (float32 base).

IR: pow(input1, input2) -> output = input1 ** input2, NumPy broadcasting (up to rank 6, as
add/sub/mul: tinymem/ops/_elementwise.py). No attributes. All three tensors float32; an integer
exponent is accepted when it is a compile-time constant (converted to float32 then).
float32: powf, except that an exponent of exactly 2 is x * x (onnxruntime does the same; powf
rounds to it up to its last ulp).
C: tm_pow_f32 (runtime_c/include/tinymem/float_math.h) over a tm_bcast.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops._elementwise import emit_bcast
from tinymem.ops._float_math import check_f32
from tinymem.ops.op import Op
from tinymem.ops.registry import register


def pow_f32(x, e) -> np.ndarray:
    x, e = np.asarray(x, dtype=np.float32), np.asarray(e, dtype=np.float32)
    with np.errstate(all="ignore"):
        return np.where(e == np.float32(2), x * x, np.power(x, e)).astype(np.float32)


@register
class Pow(Op):
    name = "pow"
    header = "float_math"
    onnx = ("Pow",)
    inplace_inputs = (0, 1)  # elementwise: output i is written after input i is read

    def import_onnx(self, ctx, node):
        x, e = node.input[0], node.input[1]
        if ctx.dtype(x) != "f32":
            ctx.unsupported(node, f"a {ctx.dtype(x)} base (float32 only)")
        if ctx.dtype(e) != "f32" and not ctx.is_const(e):
            ctx.unsupported(node, f"a run-time {ctx.dtype(e)} exponent (float32, or a constant)")
        (a, b), perm = ctx.broadcast([x, e], ctx.rank(node.output[0]))
        g = ctx.graph
        if g.tensor(b).dtype != "f32":  # a constant integer exponent: float32 at compile time
            b = g.add_const(f"{b}_f32", g.const(b).astype(np.float32))
        ctx.add_node(self.name, [a, b], [ctx.output(node.output[0], perm, "f32")])

    def infer(self, node, g):
        return [tuple(np.broadcast_shapes(g.tensor(node.inputs[0]).shape, g.tensor(node.inputs[1]).shape))]

    def reference(self, node, g, inputs):
        check_f32(node, g)
        y = g.tensor(node.outputs[0])
        return [np.broadcast_to(pow_f32(inputs[0], inputs[1]), self.infer(node, g)[0]).reshape(y.shape)]

    def macs(self, node, g):
        return g.tensor(node.outputs[0]).size

    def emit(self, node, g, em):
        check_f32(node, g)
        bc = emit_bcast(em, node, g)
        return em.call("tm_pow_f32", f"&{bc}, {em.ptr(node.inputs[0])}, {em.ptr(node.inputs[1])}, "
                                     f"{em.ptr(node.outputs[0])}")
