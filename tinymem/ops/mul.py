"""Mul: TFLite MUL (NumPy broadcasting, fused activation).

IR: mul(input1, input2) {act} -> output; attributes and broadcasting as in
tinymem/ops/_elementwise.py.

Integer semantics (TFLM mul_common.cc / reference integer_ops/mul.h): the offset inputs are
multiplied in int32, requantized with QuantizeMultiplier(s1 * s2 / s_out) (double) through
MultiplyByQuantizedMultiplier, offset and clamped. int16 requires zero points of 0 (as TFLM).
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops._elementwise import BinaryOp, emit_bcast
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier


def mul_params(node, g) -> tuple[int, int, int, int, int]:
    """(offset1, offset2, multiplier, shift, output offset) as TFLM's CalculateOpDataMul."""
    a, b, y = (g.tensor(n) for n in (*node.inputs[:2], node.outputs[0]))
    real = float(np.float32(a.scale)) * float(np.float32(b.scale)) / float(np.float32(y.scale))
    mult, shift = quantize_multiplier(real)
    if y.dtype == "s16" and (a.zero_point or b.zero_point or y.zero_point):
        raise UnsupportedOperatorError(f"operator mul (node {node.name}): int16 needs zero points of 0")
    if shift > 30:
        raise UnsupportedOperatorError(f"operator mul (node {node.name}): output multiplier {real} too large")
    return -a.zero_point, -b.zero_point, mult, shift, y.zero_point


@register
class Mul(BinaryOp):
    name = "mul"
    tflite = ("MUL",)
    onnx = ("Mul", "BatchNormalization")
    fn = np.multiply

    def import_onnx(self, ctx, node):
        """Mul; BatchNormalization (inference) as x * s + t per channel, s = gamma / sqrt(var + eps),
        t = beta - mean * s (compiler/fold_batchnorm.py folds them into a preceding conv/fc)."""
        if node.op_type == "Mul":
            return super().import_onnx(ctx, node)
        if any(node.output[1:]) or ctx.attr(node, "training_mode", 0):
            ctx.unsupported(node, "training mode")
        vals = [ctx.const(n) for n in node.input[1:5]]
        if any(v is None for v in vals):
            ctx.unsupported(node, "non-constant scale, bias, mean or var")
        gamma, beta, mean, var = (np.asarray(v, dtype=np.float64) for v in vals)
        s = gamma / np.sqrt(var + float(np.float32(ctx.attr(node, "epsilon", 1e-5))))
        t = beta - mean * s
        name = node.input[0]
        perm = ctx.perm(name)
        shape = [1] * len(perm)
        shape[perm.index(1) if len(perm) > 1 else 0] = -1  # the channel axis where it is stored
        base = node.name or "batchnorm"
        scale = ctx.graph.add_const(ctx.fresh(f"{base}_scale"), s.astype(np.float32).reshape(shape))
        shift = ctx.graph.add_const(ctx.fresh(f"{base}_shift"), t.astype(np.float32).reshape(shape))
        y = ctx.output(node.output[0], perm)
        mid = ctx.temp(f"{node.output[0]}_scaled", ctx.graph.tensor(y).shape, "f32")
        ctx.add_node(self.name, [ctx.input(name), scale], [mid], {"act": "none"})
        ctx.add_node("add", [mid, shift], [y], {"act": "none"}, suffix="shift")

    def quantized(self, node, g, x1, x2):
        off1, off2, mult, shift, zp = mul_params(node, g)
        prod = (x1 + off1) * (x2 + off2)  # |prod| < 2^31 for int8 and for int16 with zero offsets
        return np.asarray(multiply_by_quantized_multiplier(prod, mult, shift), dtype=np.int64) + zp

    def emit(self, node, g, em):
        _, _, y = self._check(node, g)
        bc = emit_bcast(em, node, g)
        args = f"{em.ptr(node.inputs[0])}, {em.ptr(node.inputs[1])}, {em.ptr(node.outputs[0])}"
        rng = activation_range(node.attrs["act"], y)
        if y.dtype == "f32":
            act = em.params("tm_act_f32", node, em.float_range(rng))
            return em.call("tm_mul_f32", f"&{bc}, &{act}, {args}")
        off1, off2, mult, shift, zp = mul_params(node, g)
        params = em.params("tm_mul_params", node,
                           f"{{{off1}, {off2}, {mult}, {shift}, {zp}, {{{rng[0]}, {rng[1]}}}}}")
        return em.call(f"tm_mul_{y.dtype}", f"&{bc}, &{params}, {args}")
