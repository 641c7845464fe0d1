"""Add: TFLite ADD (NumPy broadcasting up to rank 6, fused activation).

IR: add(input1, input2) {act} -> output; see tinymem/ops/_elementwise.py for the attributes and
broadcasting rules shared with sub and mul.

Integer semantics (TFLM add_common.cc / reference add.h): each input q becomes
((q - zp) << left_shift) scaled by input_scale / (2 * max input scale) (Q31 multiplier, rounding
right shift), the two are summed and scaled by 2 * max input scale / (2^left_shift * output
scale), then offset and clamped; left_shift is 20 for int8, 15 for int16. The real multipliers
are computed in double from the float32 scales. For int8 the scaled input values are tabulated at
compile time (256 int32 per input).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops._elementwise import BinaryOp, emit_bcast
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier_smaller_than_one_exp as mbqm_lt1
from tinymem.quant.multiplier import quantize_multiplier_smaller_than_one_exp


@dataclass
class AddSubParams:
    left_shift: int
    offset1: int
    offset2: int
    mult1: int
    shift1: int
    mult2: int
    shift2: int
    out_mult: int
    out_shift: int
    out_offset: int


def add_sub_params(node, g) -> AddSubParams:
    """Multipliers and offsets exactly as TFLM's CalculateOpDataAdd / CalculateOpDataSub."""
    a, b, y = (g.tensor(n) for n in (*node.inputs[:2], node.outputs[0]))
    left_shift = 15 if y.dtype == "s16" else 20
    s1, s2, so = np.float32(a.scale), np.float32(b.scale), np.float32(y.scale)
    # double arithmetic for ADD and SUB alike (the oracle, the tflite-micro package, does so; some
    # TFLM sources compute SUB's multipliers in float, which gives other multipliers)
    twice = 2.0 * float(max(s1, s2))
    reals = (float(s1) / twice, float(s2) / twice, twice / ((1 << left_shift) * float(so)))
    try:
        (m1, sh1), (m2, sh2), (mo, sho) = (quantize_multiplier_smaller_than_one_exp(r) for r in reals)
    except ValueError as e:
        raise UnsupportedOperatorError(f"operator {node.op} (node {node.name}): scales give {e} "
                                       "(TFLM rejects this model too)") from None
    return AddSubParams(left_shift, -a.zero_point, -b.zero_point, m1, sh1, m2, sh2, mo, sho, y.zero_point)


def scaled_inputs(q, offset: int, left_shift: int, mult: int, shift: int) -> np.ndarray:
    """TFLM's per-input stage: ((q + offset) << left_shift) * multiplier (int64 result)."""
    v = (np.asarray(q, dtype=np.int64) + offset) * (1 << left_shift)
    return np.asarray(mbqm_lt1(v, mult, shift), dtype=np.int64)


def add_sub_quantized(node, g, x1, x2, subtract: bool) -> np.ndarray:
    p = add_sub_params(node, g)
    v1 = scaled_inputs(x1, p.offset1, p.left_shift, p.mult1, p.shift1)
    v2 = scaled_inputs(x2, p.offset2, p.left_shift, p.mult2, p.shift2)
    raw = v1 - v2 if subtract else v1 + v2  # bounded by 2^30: no int32 overflow
    return np.asarray(mbqm_lt1(raw, p.out_mult, p.out_shift), dtype=np.int64) + p.out_offset


def emit_add_sub(node, g, em, subtract: bool) -> str:
    y = g.tensor(node.outputs[0])
    bc = emit_bcast(em, node, g)
    args = f"{em.ptr(node.inputs[0])}, {em.ptr(node.inputs[1])}, {em.ptr(node.outputs[0])}"
    rng = activation_range(node.attrs["act"], y)
    if y.dtype == "f32":
        act = em.params("tm_act_f32", node, em.float_range(rng))
        return em.call("tm_sub_f32" if subtract else "tm_add_f32", f"&{bc}, &{act}, {args}")
    p = add_sub_params(node, g)
    if y.dtype == "s8":
        q = np.arange(-128, 128)
        t1 = scaled_inputs(q, p.offset1, p.left_shift, p.mult1, p.shift1)
        t2 = scaled_inputs(q, p.offset2, p.left_shift, p.mult2, p.shift2)
        t1 = em.table(f"{node.name}_in1", t1.astype(np.int32))
        t2 = em.table(f"{node.name}_in2", (-t2 if subtract else t2).astype(np.int32))
        params = em.params("tm_add_params_s8", node,
                           f"{{{t1}, {t2}, {p.out_mult}, {p.out_shift}, {p.out_offset}, {{{rng[0]}, {rng[1]}}}}}")
        return em.call("tm_add_s8", f"&{bc}, &{params}, {args}")
    params = em.params("tm_add_params_s16", node,
                       f"{{{p.offset1}, {p.offset2}, {p.mult1}, {p.shift1}, {p.mult2}, {p.shift2}, "
                       f"{p.out_mult}, {p.out_shift}, {p.out_offset}, {int(subtract)}, {{{rng[0]}, {rng[1]}}}}}")
    return em.call("tm_add_s16", f"&{bc}, &{params}, {args}")


@register
class Add(BinaryOp):
    name = "add"
    tflite = ("ADD",)
    onnx = ("Add",)
    fn = np.add

    def quantized(self, node, g, x1, x2):
        return add_sub_quantized(node, g, x1, x2, subtract=False)

    def emit(self, node, g, em):
        self._check(node, g)
        return emit_add_sub(node, g, em, subtract=False)
