"""Relu family: TFLite RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 (later ONNX Relu / Clip).

IR: relu(input) -> output, same shape, elementwise clamp to [min, max].

Attributes:
  min (float | None): lower bound in real units (None: unbounded).
  max (float | None): upper bound in real units (None: unbounded).
  requant (bool, default True): integer semantics.
    True  -- TFLM ReluQuantized: the input is requantized to the output scale,
             out = clamp(zp_out + MBQM(x - zp_in, in_scale / out_scale), lo, hi) with
             lo = max(qmin, zp_out + round(min / out_scale)), hi likewise (qmax when None).
    False -- TFLM Relu6Quantized: a clamp in the *input's* quantized domain with no
             requantization, lo = FloatToQuantizedType(min, in_scale, zp_in), hi likewise;
             the output quantization is ignored (TFLM assumes it equals the input's).
  Float tensors ignore `requant`: out = x < min ? min : x > max ? max : x (NaN passes).

TFLite mapping: RELU {0, None, True}; RELU6 {0, 6, False} (TFLM clamps in the input domain);
RELU_N1_TO_1 {-1, 1, True} and RELU_0_TO_1 {0, 1, True} (TFLite semantics; TFLM has no kernel).
dtypes: f32, s8 (256-entry lookup table), s16.
"""

import numpy as np

from tinymem.ops._unary import QRANGE, emit_f32, emit_lut8, io, quantize_value, same_shape
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier

_TFLITE = {
    "RELU": (0.0, None, True),
    "RELU6": (0.0, 6.0, False),
    "RELU_N1_TO_1": (-1.0, 1.0, True),
    "RELU_0_TO_1": (0.0, 1.0, True),
}


def int_params(node, g):
    """(input_offset, output_offset, multiplier, shift, lo, hi) of the integer kernel.

    The input-domain clamp (requant False) is expressed as an identity requantization
    (multiplier 2^30, shift 1 is exact) from zp_in to zp_in."""
    x, y = io(node, g)
    qmin, qmax = QRANGE[y.dtype]
    lo_r, hi_r = node.attrs.get("min"), node.attrs.get("max")
    if node.attrs.get("requant", True):
        mult, shift = quantize_multiplier(float(np.float32(x.scale)) / float(np.float32(y.scale)))
        scale, zp, out_zp = y.scale, y.zero_point, y.zero_point
        lo = qmin if lo_r is None else max(qmin, quantize_value(lo_r, scale, zp, "s32"))
        hi = qmax if hi_r is None else min(qmax, quantize_value(hi_r, scale, zp, "s32"))
    else:
        mult, shift, out_zp = 1 << 30, 1, x.zero_point
        lo = qmin if lo_r is None else quantize_value(lo_r, x.scale, x.zero_point, y.dtype)
        hi = qmax if hi_r is None else quantize_value(hi_r, x.scale, x.zero_point, y.dtype)
    return -x.zero_point, out_zp, mult, shift, lo, hi


def relu_int(values, node, g):
    in_off, out_off, mult, shift, lo, hi = int_params(node, g)
    v = np.asarray(values, dtype=np.int64) + in_off
    y = multiply_by_quantized_multiplier(v, mult, shift).astype(np.int64) + out_off
    return np.clip(y, lo, hi)


@register
class Relu(Op):
    name = "relu"
    inplace_inputs = (0,)  # elementwise kernels: may run in place
    pointwise = True  # patch-based inference: output pixel (y, x) reads input pixel (y, x)
    tflite = tuple(_TFLITE)
    onnx = ("Relu", "Clip")

    def import_tflite(self, ctx, op):
        lo, hi, requant = _TFLITE[ctx.opcode]
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1],
                     {"min": lo, "max": hi, "requant": requant})

    def import_onnx(self, ctx, node):
        """Relu -> {min 0}; Clip(min, max) with constant bounds (inputs, or attrs before opset 11)."""
        t = ctx.graph.tensor(ctx.input(node.input[0]))
        if t.dtype != "f32" and t.quant is None:
            ctx.unsupported(node, f"{node.op_type} of a plain (not quantized) {t.dtype} tensor")
        if node.op_type == "Relu":
            return ctx.unary(node, self.name, {"min": 0.0, "max": None, "requant": True})
        if ctx.opset < 11:
            lo, hi = ctx.attr(node, "min"), ctx.attr(node, "max")
        else:
            bounds = []
            for i in (1, 2):
                name = node.input[i] if len(node.input) > i else ""
                if name and ctx.const(name) is None:
                    ctx.unsupported(node, "a non-constant min/max")
                bounds.append(float(np.asarray(ctx.const(name)).reshape(-1)[0]) if name else None)
            lo, hi = bounds
        if lo is not None and hi is not None and lo > hi:
            lo = hi  # ONNX: min(max(x, lo), hi) is hi everywhere
        ctx.unary(node, self.name, {"min": lo, "max": hi, "requant": True})

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        if y.dtype == "f32":
            lo, hi = node.attrs.get("min"), node.attrs.get("max")
            v = np.asarray(inputs[0], dtype=np.float32)
            if lo is not None:
                v = np.where(v < np.float32(lo), np.float32(lo), v)
            if hi is not None:
                v = np.where(v > np.float32(hi), np.float32(hi), v)
            return [v.astype(np.float32)]
        return [relu_int(inputs[0], node, g).astype(inputs[0].dtype)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        if y.dtype == "f32":
            lo, hi = node.attrs.get("min"), node.attrs.get("max")
            rng = em.params("tm_act_f32", node, em.float_range((-np.inf if lo is None else lo,
                                                                 np.inf if hi is None else hi)))
            return emit_f32(node, g, em, "tm_relu_f32", f"&{rng}")
        if x.dtype != y.dtype:
            em.unsupported(node, f"{x.dtype} input with {y.dtype} output")
        if y.dtype == "s8":
            return emit_lut8(node, g, em, lambda v: relu_int(v, node, g))
        if y.dtype == "s16":
            p = em.params("tm_relu_params_s16", node, "{%d, %d, %d, %d, {%d, %d}}" % int_params(node, g))
            return em.call("tm_relu_s16", f"{x.size}, &{p}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
        em.unsupported(node, f"dtype {y.dtype}")
