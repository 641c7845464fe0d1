"""Softmax over the last axis: TFLite SOFTMAX (later ONNX Softmax with axis = last).

IR: softmax(input) -> output, same shape, normalised over the last axis.

Attributes:
  beta (float, stored as float32): y = exp(beta * x) / sum exp(beta * x) along the last axis.

dtypes: f32 -> f32; s8 -> s8 (output scale 1/256, zero point -128, as TFLM requires);
s8 -> s16 (output scale 1/65536, zero point -32768).

int8 semantics (TFLM reference_ops::Softmax): per row, d = x - max(row);
PreprocessSoftmaxScaling(beta, in_scale, 5) gives a multiplier / left shift taking d to Q5.26
and diff_min = -CalculateInputRadius(5, left_shift). Elements with d >= diff_min contribute
exp_on_negative_values(d in Q5.26) (Q0.31) to a Q12.19 sum; the sum's reciprocal
(GetReciprocal) scales each exp, rounded by 2^(num_bits_over_unit + 31 - output bits) and
offset by the output minimum; elements below diff_min give the output minimum.
The C kernel looks the exp of d up in a 256-entry table (0 below diff_min) computed at compile
time with the same fixed-point functions, so it does one table load per element per pass.
float32 (TFLM): exp((x - max) * beta) in float32, summed in order, each divided by the sum.
"""

import numpy as np

from tinymem.codegen.cnames import c_float
from tinymem.ops._unary import io, same_shape
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp
from tinymem.quant.multiplier import calculate_input_radius, preprocess_softmax_scaling

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


def exp_table(beta: float, in_scale: float) -> np.ndarray:
    """int32[256]: entry k = exp of the input difference -k in Q0.31 (0 when -k < diff_min)."""
    mult, shift = preprocess_softmax_scaling(float(np.float32(beta)), float(np.float32(in_scale)),
                                             SCALED_DIFF_INTEGER_BITS)
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    d = -np.arange(256, dtype=np.int64)
    valid = d >= diff_min
    scaled = fp.multiply_by_quantized_multiplier_greater_than_one(np.where(valid, d, 0), mult, shift)
    e = fp.exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS)
    return np.where(valid, e, 0).astype(np.int32)


def softmax_int(x: np.ndarray, table: np.ndarray, out_bits: int) -> np.ndarray:
    """TFLM's quantized softmax over the last axis of int8 `x`, given exp_table()."""
    x = np.asarray(x, dtype=np.int64)
    e = table[x.max(axis=-1, keepdims=True) - x].astype(np.int64)
    parts = fp.rescale(e, 0, ACCUMULATION_INTEGER_BITS).astype(np.int64)
    sums = ((parts.sum(axis=-1, keepdims=True) + 2**31) & 0xFFFFFFFF) - 2**31  # int32 wrap
    recip, bits_over_unit = fp.get_reciprocal(sums, ACCUMULATION_INTEGER_BITS)
    exponent = np.asarray(bits_over_unit, dtype=np.int64) + 31 - out_bits
    if exponent.size and (exponent.min() < 0 or exponent.max() > 31):
        raise ValueError("SOFTMAX: row too long for TFLM's int8 kernel (exponent out of [0, 31])")
    out = fp.rounding_divide_by_pot(fp.sat_rounding_doubling_high_mul(recip, e), exponent)
    lo, hi = -(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1
    return np.clip(out.astype(np.int64) + lo, lo, hi)


def softmax_f32(x: np.ndarray, beta: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    e = np.exp((x - x.max(axis=-1, keepdims=True)) * np.float32(beta)).astype(np.float32)
    s = np.zeros(e.shape[:-1] + (1,), np.float32)
    for c in range(e.shape[-1]):  # sequential float32 sum, as the reference kernel
        s = s + e[..., c:c + 1]
    return (e / s).astype(np.float32)


def _rows(t) -> tuple[int, int]:
    depth = t.shape[-1] if t.shape else 1
    return t.size // max(depth, 1), depth


@register
class Softmax(Op):
    name = "softmax"
    tflite = ("SOFTMAX",)
    onnx = ("Softmax",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1],
                     {"beta": float(ctx.options(op).get("beta", 1.0))})

    def import_onnx(self, ctx, node):
        from tinymem.frontend.onnx_attrs import last_axis_op

        last_axis_op(self.name, ctx, node, {"beta": 1.0})

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        if y.dtype == "f32":
            return [softmax_f32(inputs[0], node.attrs.get("beta", 1.0))]
        table = exp_table(node.attrs.get("beta", 1.0), x.scale)
        bits = {"s8": 8, "s16": 16}[y.dtype]
        return [softmax_int(inputs[0], table, bits).astype(np.int8 if bits == 8 else np.int16)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        outer, depth = _rows(x)
        args = f"{em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}"
        if x.dtype == y.dtype == "f32":
            p = em.params("tm_softmax_params_f32", node,
                          f"{{{outer}, {depth}, {c_float(node.attrs.get('beta', 1.0))}}}")
            return em.call("tm_softmax_f32", f"&{p}, {args}")
        if x.dtype == "s8" and y.dtype in ("s8", "s16"):
            table = em.table(f"{node.name}_exp", exp_table(node.attrs.get("beta", 1.0), x.scale))
            p = em.params("tm_softmax_params_s8", node, f"{{{outer}, {depth}, {table}}}")
            return em.call("tm_softmax_s8" if y.dtype == "s8" else "tm_softmax_s8_s16", f"&{p}, {args}")
        em.unsupported(node, f"{x.dtype} -> {y.dtype}")
