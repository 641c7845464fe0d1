"""Quantize and requantize: TFLite QUANTIZE (later ONNX QuantizeLinear).

IR: quantize(input) -> output, same shape. No attributes: the input and output tensors carry
the dtypes and (per-tensor) quantization; TFLM reads the first scale / zero point of each.

Semantics (TFLM reference kernels, x86-64 host behaviour):
  float32 -> s8 / s16 / u8 (AffineQuantize):
      q = (int32)roundf(x / out_scale) + zp_out (float32 division, ties away from zero), clamped.
      NaN or |x / scale| >= 2^31 convert to INT32_MIN as on x86 (then + zp wraps), as TFLM.
  integer -> integer (Requantize; s8/u8/s16/s32 in any pairing TFLM accepts and more):
      y = MBQM(x - zp_in, QuantizeMultiplier(double(in_scale) / double(out_scale))) + zp_out,
      clamped to the output type (int32 wrap-around where TFLM's int32 arithmetic would wrap).
  8-bit -> 8-bit requantization runs as a 256-entry lookup table built from that formula
      (tm_lut_x8, runtime_c/include/tinymem/lut.h).
Rounding is TFLite's (half away from zero); an ONNX importer needing round-half-even for
QuantizeLinear should add an attribute here.
"""

import numpy as np

from tinymem.codegen.cnames import c_float
from tinymem.ops._unary import QRANGE, emit_lut8, io, same_shape
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier, round_half_away_from_zero

DTYPE_ENUM = {"s8": "TM_S8", "u8": "TM_U8", "s16": "TM_S16", "s32": "TM_S32"}


def _wrap32(v):
    return ((np.asarray(v, dtype=np.int64) + 2**31) & 0xFFFFFFFF) - 2**31


def affine_quantize(values, scale: float, zp: int, out_dtype: str) -> np.ndarray:
    """float32 -> integer exactly as TFLM's AffineQuantize on x86-64."""
    x = np.asarray(values, dtype=np.float32)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        r = round_half_away_from_zero(x / np.float32(scale)).astype(np.float64)
    ok = (r >= -2.0**31) & (r < 2.0**31)  # false for NaN too
    q = np.where(ok, np.where(ok, r, 0).astype(np.int64), -2**31)  # cvttss2si: INT32_MIN
    lo, hi = QRANGE[out_dtype]
    return np.clip(_wrap32(q + zp), lo, hi)


def requant_params(x, y) -> tuple[int, int]:
    return quantize_multiplier(float(np.float32(x.scale)) / float(np.float32(y.scale)))


def requantize(values, x, y) -> np.ndarray:
    mult, shift = requant_params(x, y)
    v = _wrap32(np.asarray(values, dtype=np.int64) - x.zero_point)
    out = _wrap32(multiply_by_quantized_multiplier(v, mult, shift).astype(np.int64) + y.zero_point)
    lo, hi = QRANGE[y.dtype]
    return np.clip(out, lo, hi)


@register
class Quantize(Op):
    name = "quantize"
    inplace_inputs = (0,)  # elementwise kernels: in place when the element sizes match
    pointwise = True  # patch-based inference: output pixel (y, x) reads input pixel (y, x)
    tflite = ("QUANTIZE",)
    onnx = ("QuantizeLinear",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        """QuantizeLinear of a float tensor, per-tensor scale and zero point (int8, uint8, int16).
        A uint8 result read only by DequantizeLinear becomes int8 with zero point - 128 (the same
        real values; TFLite kernels are int8). Rounding is TFLite's (half away from zero)."""
        from tinymem.frontend.onnx_attrs import qdq_params
        from tinymem.ir import QuantParams

        scale, zp = qdq_params(ctx, node, "output")
        if scale.size != 1:
            ctx.unsupported(node, "per-axis quantization of a run-time tensor")
        if zp is None:
            zp = np.zeros((), dtype=np.int8 if ctx.attr(node, "output_dtype", 0) == 3 else np.uint8)
        dtype = {np.dtype(np.int8): "s8", np.dtype(np.uint8): "u8", np.dtype(np.int16): "s16"}.get(zp.dtype)
        if dtype is None:
            ctx.unsupported(node, f"a {zp.dtype} output")
        x, out = node.input[0], node.output[0]
        if ctx.dtype(x) != "f32":
            ctx.unsupported(node, f"a {ctx.dtype(x)} input")
        zpv = int(zp.reshape(-1)[0])
        if dtype == "u8" and not ctx.is_graph_output(out) and all(
                c.op_type == "DequantizeLinear" for c in ctx.consumers(out)):
            dtype, zpv = "s8", zpv - 128
        perm = ctx.perm(x)
        y = ctx.output(out, perm, dtype, QuantParams(float(scale.reshape(-1)[0]), zpv))
        ctx.add_node(self.name, [ctx.input(x)], [y])

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        dt = np.dtype({"s8": np.int8, "u8": np.uint8, "s16": np.int16, "s32": np.int32}[y.dtype])
        if x.dtype in ("f32", "f16"):
            return [affine_quantize(inputs[0], y.scale, y.zero_point, y.dtype).astype(dt)]
        return [requantize(inputs[0], x, y).astype(dt)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        src, dst = em.ptr(node.inputs[0]), em.ptr(node.outputs[0])
        if y.dtype not in DTYPE_ENUM:
            em.unsupported(node, f"output dtype {y.dtype}")
        if x.dtype == "f32":
            if y.dtype == "s32":
                em.unsupported(node, "float -> int32")
            p = em.params("tm_quantize_params_f32", node, f"{{{c_float(y.scale)}, {y.zero_point}}}")
            return em.call(f"tm_quantize_f32_{y.dtype}", f"{x.size}, &{p}, {src}, {dst}")
        if x.dtype not in DTYPE_ENUM:
            em.unsupported(node, f"input dtype {x.dtype}")
        if x.dtype in ("s8", "u8") and y.dtype in ("s8", "u8"):
            return emit_lut8(node, g, em, lambda v: requantize(v, x, y))
        mult, shift = requant_params(x, y)
        types = f"{DTYPE_ENUM[x.dtype]}, {DTYPE_ENUM[y.dtype]}"
        p = em.params("tm_requantize_params", node, f"{{{-x.zero_point}, {y.zero_point}, {mult}, {shift}, {types}}}")
        return em.call("tm_quantize_int", f"{x.size}, &{p}, {src}, {dst}")
