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
    onnx = ("DequantizeLinear",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        """DequantizeLinear. Of a constant: declared to the context as a quantized constant (per
        tensor or per axis; uint8 shifted to int8), materialised where it is used as
        dequantize(int constant) in that operand's layout. Of a run-time tensor: per tensor, and
        the tensor's quantization must be these parameters (QuantizeLinear sets them)."""
        from tinymem.frontend.onnx_attrs import qdq_params
        from tinymem.ir import QuantParams

        scale, zp = qdq_params(ctx, node, "input")
        x = node.input[0]
        zp = np.zeros(1, dtype=np.int64) if zp is None else zp.astype(np.int64)
        q = ctx.const(x)
        if q is not None:
            q = np.asarray(q)
            if q.dtype == np.uint8:
                q, zp = (q.astype(np.int16) - 128).astype(np.int8), zp - 128
            if q.dtype not in (np.int8, np.int16, np.int32):
                ctx.unsupported(node, f"a {q.dtype} constant")
            axis = int(ctx.attr(node, "axis", 1)) % max(q.ndim, 1) if scale.size > 1 else None
            ctx.add_quantized_const(node.output[0], q, scale.reshape(-1), zp.reshape(-1), axis)
            return
        if scale.size != 1:
            ctx.unsupported(node, "per-axis dequantization of a run-time tensor")
        xi = ctx.input(x)
        t = ctx.graph.tensor(xi)
        zpv = int(zp.reshape(-1)[0]) - (128 if ctx.dtype(x) == "u8" and t.dtype == "s8" else 0)
        if t.quant is None:
            t.quant = QuantParams(float(scale.reshape(-1)[0]), zpv)
        elif not (np.float32(t.scale) == scale.reshape(-1)[0] and t.zero_point == zpv):
            ctx.unsupported(node, f"dequantizing {x!r} with parameters other than its quantization")
        ctx.add_node(self.name, [xi], [ctx.output(node.output[0], ctx.perm(x), "f32")])

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
