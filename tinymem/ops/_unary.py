"""Helpers shared by the elementwise activation modules (relu, logistic, tanh, hard_swish,
leaky_relu, quantize, dequantize ...). Not an operator (the leading underscore keeps the
registry from importing it as one).

8-bit -> 8-bit integer activations are computed at run time by a 256-entry lookup table: the
table is the op's numpy reference (TFLM's integer algorithm, bit-exact) evaluated at compile
time on every possible input byte, so the C kernel is bit-exact by construction and costs one
load per element.
"""

from __future__ import annotations

import numpy as np

from tinymem.ir import np_dtype
from tinymem.quant.multiplier import round_half_away_from_zero

QRANGE = {"s8": (-128, 127), "u8": (0, 255), "s16": (-32768, 32767), "s32": (-2**31, 2**31 - 1)}


def byte_values(dtype: str) -> np.ndarray:
    """The 256 values of an 8-bit dtype in byte order: entry i is the value whose byte is i."""
    return np.arange(256, dtype=np.uint8).view(np_dtype(dtype))


def lut8(fn, in_dtype: str, out_dtype: str) -> np.ndarray:
    """Table t with t[byte(x)] = fn(x) for every 8-bit input x (fn is vectorised)."""
    return np.asarray(fn(byte_values(in_dtype))).astype(np_dtype(out_dtype))


def quantize_value(v: float, scale: float, zp: int, dtype: str) -> int:
    """TFLM FloatToQuantizedType: round(v / scale) + zp in float32, clamped to the dtype."""
    q = int(round_half_away_from_zero(np.float32(v) / np.float32(scale))) + zp
    lo, hi = QRANGE[dtype]
    return min(max(q, lo), hi)


def same_shape(node, g) -> list[tuple[int, ...]]:
    return [g.tensor(node.inputs[0]).shape]


def io(node, g):
    """(input tensor, output tensor) of a unary node."""
    return g.tensor(node.inputs[0]), g.tensor(node.outputs[0])


def emit_lut8(node, g, em, kernel: str, table: np.ndarray) -> str:
    """C call `kernel(size, lut, input, output)` of an 8-bit lookup-table kernel."""
    x, y = io(node, g)
    lut = em.table(f"{node.name}_lut", table)
    return em.call(kernel, f"{x.size}, {lut}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")


def emit_f32(node, g, em, kernel: str, extra: str | None = None) -> str:
    """C call `kernel(size[, extra], input, output)` of a float elementwise kernel."""
    x, _ = io(node, g)
    mid = f", {extra}" if extra else ""
    return em.call(kernel, f"{x.size}{mid}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
