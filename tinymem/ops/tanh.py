"""Tanh: TFLite TANH (later ONNX Tanh).

IR: tanh(input) -> output, same shape, elementwise. No attributes.

int8 follows TFLM's integer kernel: the input (minus its zero point) is scaled to Q4.27 exactly
as for Logistic (frexp(in_scale * 2^27), same radius), inputs beyond the radius saturate to
-128 / 127, otherwise gemmlowp's fixed-point tanh is rounded to Q0.7 and clamped. No output
zero point is added: TFLM assumes output scale 1/128, zero point 0. At run time the result is
a 256-entry lookup table built from that algorithm.
float32: tanhf.
dtypes: f32, s8.
"""

import numpy as np

from tinymem.ops._unary import emit_f32, emit_lut8, io, lut8, same_shape
from tinymem.ops.logistic import fixed_point_unary
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp


@register
class Tanh(Op):
    name = "tanh"
    inplace_inputs = (0,)  # elementwise kernels: may run in place
    tflite = ("TANH",)
    onnx = ("Tanh",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        ctx.unary(node, self.name)

    def infer(self, node, g):
        return same_shape(node, g)

    def _int8(self, node, g, values):
        x, _ = io(node, g)
        return fixed_point_unary(values, x.zero_point, x.scale, fp.tanh, 7, 0)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        if y.dtype == "f32":
            return [np.tanh(np.asarray(inputs[0], dtype=np.float32))]
        return [self._int8(node, g, inputs[0]).astype(np.int8)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        if y.dtype == "f32" and x.dtype == "f32":
            return emit_f32(node, g, em, "tm_tanh_f32")
        if x.dtype == y.dtype == "s8":
            return emit_lut8(node, g, em, "tm_tanh_s8", lut8(lambda v: self._int8(node, g, v), "s8", "s8"))
        em.unsupported(node, f"{x.dtype} -> {y.dtype}")
