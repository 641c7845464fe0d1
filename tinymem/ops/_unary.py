"""Helpers shared by the elementwise activation modules (relu, logistic, tanh, hard_swish,
leaky_relu, quantize, dequantize ...). Not an operator (the leading underscore keeps the
registry from importing it as one).

8-bit -> 8-bit integer activations are computed at run time by a 256-entry lookup table: the
table is the op's numpy reference (TFLM's integer algorithm, bit-exact) evaluated at compile
time on every possible input byte, so the C kernel is bit-exact by construction and costs one
load per element. One kernel, tm_lut_x8 (runtime_c/include/tinymem/lut.h), serves them all.

`LutActivation` is the whole operator for the attribute-free activations with a float32
kernel and an int8 table (logistic, tanh, hard_swish).
"""

from __future__ import annotations

import numpy as np

from tinymem.ir import np_dtype
from tinymem.ops.op import Op
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


def emit_lut8(node, g, em, fn) -> str:
    """C call `tm_lut_x8(size, lut, input, output)` of an 8-bit -> 8-bit unary node whose
    integer semantics are the vectorised fn (evaluated on the 256 input values at compile time)."""
    x, y = io(node, g)
    lut = em.table(f"{node.name}_lut", lut8(fn, x.dtype, y.dtype))
    return em.call("tm_lut_x8", f"{x.size}, {lut}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")


def emit_f32(node, g, em, kernel: str, extra: str | None = None) -> str:
    """C call `kernel(size[, extra], input, output)` of a float elementwise kernel."""
    x, _ = io(node, g)
    mid = f", {extra}" if extra else ""
    return em.call(kernel, f"{x.size}{mid}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")


class LutActivation(Op):
    """An elementwise activation without attributes: one input, one output of the same shape,
    float32 by the kernel `tm_<name>_f32(size, input, output)`, int8 -> int8 by tm_lut_x8.
    Subclasses give the numpy semantics: float_fn(values) (float32) and int8_fn(x, y, values)
    (TFLM's integer algorithm on int8 values, vectorised; x, y: the input and output tensors)."""

    inplace_inputs = (0,)  # elementwise kernels: may run in place
    pointwise = True  # patch-based inference: output pixel (y, x) reads input pixel (y, x)

    def float_fn(self, values) -> np.ndarray:
        raise NotImplementedError

    def int8_fn(self, x, y, values) -> np.ndarray:
        raise NotImplementedError

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        ctx.unary(node, self.name)

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        if y.dtype == "f32":
            return [self.float_fn(inputs[0])]
        return [self.int8_fn(x, y, inputs[0]).astype(np.int8)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        if x.dtype == y.dtype == "f32":
            return emit_f32(node, g, em, f"tm_{self.name}_f32")
        if x.dtype == y.dtype == "s8":
            return emit_lut8(node, g, em, lambda v: self.int8_fn(x, y, v))
        em.unsupported(node, f"{x.dtype} -> {y.dtype}")
