"""Dequantize: TFLite DEQUANTIZE (later ONNX DequantizeLinear).

IR: dequantize(input) -> output (f32), same shape. No attributes.

Semantics:
  s8 / u8 / s16 (/ s32) -> f32 (TFLM Dequantize): y = (float)(double(scale) * (x - zero_point)).
      The double product is exact, so this equals the float32 product scale * (float)(x - zp)
      that the C kernels compute. Per-axis quantized inputs (constant weights, folded at
      compile time) use their per-channel scale / zero point (TFLite PerChannelDequantize).
  f16 -> f32: exact conversion (used when float16 weights are folded at compile time).
"""

import numpy as np

from tinymem.codegen.cnames import c_float
from tinymem.ops._unary import io, same_shape
from tinymem.ops.op import Op
from tinymem.ops.registry import register


def dequantize(values, t) -> np.ndarray:
    """Real values of the data `values` of tensor t (per-tensor or per-axis quantization)."""
    v = np.asarray(values)
    if v.dtype == np.float16 or t.dtype == "f16":
        return v.astype(np.float16).astype(np.float32)
    if v.dtype == np.float32:
        return v
    q = t.quant
    scale = q.scale.astype(np.float64)
    zp = q.zero_point.astype(np.int64)
    if q.per_channel:
        shape = [1] * v.ndim
        shape[q.axis] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    else:
        scale, zp = scale[0], zp[0]
    return (scale * (v.astype(np.int64) - zp)).astype(np.float32)


@register
class Dequantize(Op):
    name = "dequantize"
    tflite = ("DEQUANTIZE",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, _ = io(node, g)
        return [dequantize(inputs[0], x)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        dst = em.ptr(node.outputs[0])
        if y.dtype != "f32":
            em.unsupported(node, f"output dtype {y.dtype}")
        if x.dtype == "f16":
            src = (em.table(node.inputs[0], x.data.view(np.uint16), weight=True) if x.is_const
                   else em.ptr(node.inputs[0]))
            return em.call("tm_dequantize_f16", f"{x.size}, {src}, {dst}")
        if x.dtype not in ("s8", "u8", "s16"):
            em.unsupported(node, f"input dtype {x.dtype}")
        if x.quant is None or x.quant.per_channel:
            em.unsupported(node, "a per-axis (or missing) quantization at run time")
        p = em.params("tm_dequantize_params", node, f"{{{c_float(x.scale)}, {x.zero_point}}}")
        return em.call(f"tm_dequantize_{x.dtype}", f"{x.size}, &{p}, {em.ptr(node.inputs[0])}, {dst}")
