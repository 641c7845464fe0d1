"""LeakyRelu: TFLite LEAKY_RELU (later ONNX LeakyRelu).

IR: leaky_relu(input) -> output, same shape, y = x > 0 ? x : alpha * x.

Attributes:
  alpha (float): slope for negative inputs (stored as float32; may be > 1 or < 0).

Integer semantics (TFLM QuantizeLeakyRelu): with v = x - zp_in,
  v >= 0: y = zp_out + MBQM(v, identity multiplier of in_scale / out_scale)
  v <  0: y = zp_out + MBQM(v, alpha multiplier of in_scale * alpha / out_scale)
           (for alpha < 0, TFLM multiplies by the negated multiplier and negates the result)
both ratios computed in float32 then QuantizeMultiplier'd; clamped to the output type.
int8 runs as a 256-entry lookup table built from that; int16 computes it.
float32: x > 0 ? x : x * alpha.
dtypes: f32, s8, s16.
"""

import numpy as np

from tinymem.codegen.cnames import c_float
from tinymem.ops._unary import QRANGE, emit_f32, emit_lut8, io, same_shape
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier


def leaky_params(node, g):
    """(input_offset, output_offset, identity (mult, shift), alpha (mult, shift))."""
    x, y = io(node, g)
    s_in, s_out = np.float32(x.scale), np.float32(y.scale)
    alpha = np.float32(node.attrs["alpha"])
    ident = quantize_multiplier(float(s_in / s_out))
    neg = quantize_multiplier(float(s_in * alpha / s_out))
    return -x.zero_point, y.zero_point, ident, neg


def leaky_int(values, node, g):
    in_off, out_off, (m1, s1), (m2, s2) = leaky_params(node, g)
    v = np.asarray(values, dtype=np.int64) + in_off
    pos = multiply_by_quantized_multiplier(v, m1, s1).astype(np.int64)
    # TFLM applies |alpha multiplier| and negates the product when alpha < 0
    neg = multiply_by_quantized_multiplier(v, abs(m2) if m2 != -2**31 else m2, s2).astype(np.int64)
    if m2 < 0:
        neg = -neg
    qmin, qmax = QRANGE[g.tensor(node.outputs[0]).dtype]
    return np.clip(out_off + np.where(v >= 0, pos, neg), qmin, qmax)


@register
class LeakyRelu(Op):
    name = "leaky_relu"
    inplace_inputs = (0,)  # elementwise kernels: may run in place
    pointwise = True  # patch-based inference: output pixel (y, x) reads input pixel (y, x)
    tflite = ("LEAKY_RELU",)
    onnx = ("LeakyRelu",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1],
                     {"alpha": float(ctx.options(op).get("alpha", 0.2))})

    def import_onnx(self, ctx, node):
        ctx.unary(node, self.name, {"alpha": float(np.float32(ctx.attr(node, "alpha", 0.01)))})

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        if y.dtype == "f32":
            v = np.asarray(inputs[0], dtype=np.float32)
            return [np.where(v > 0, v, v * np.float32(node.attrs["alpha"])).astype(np.float32)]
        return [leaky_int(inputs[0], node, g).astype(inputs[0].dtype)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        if x.dtype != y.dtype:
            em.unsupported(node, f"{x.dtype} -> {y.dtype}")
        if y.dtype == "f32":
            return emit_f32(node, g, em, "tm_leaky_relu_f32", c_float(node.attrs["alpha"]))
        if y.dtype == "s8":
            return emit_lut8(node, g, em, lambda v: leaky_int(v, node, g))
        if y.dtype == "s16":
            in_off, out_off, (m1, s1), (m2, s2) = leaky_params(node, g)
            p = em.params("tm_leaky_relu_params_s16", node, f"{{{in_off}, {out_off}, {m1}, {s1}, {m2}, {s2}}}")
            return em.call("tm_leaky_relu_s16", f"{x.size}, &{p}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
        em.unsupported(node, f"dtype {y.dtype}")
