"""DepthwiseConv2D: TFLite DEPTHWISE_CONV_2D (int8, float32, hybrid float32 x int8 weights).

IR: depthwise_conv2d(input[N, H, W, C], filter[1, KH, KW, C*M], bias[C*M]?)
      -> output[N, OH, OW, C*M]
Output channel o = c*M + m reads input channel c = o // M (TFLite layout).

Attributes:
  strides, dilations, pads, act: exactly as conv2d (see tinymem/ops/conv2d.py): explicit
             (top, left, bottom, right) padding; ONNX Conv with group == C maps here, its OIHW
             filter [C*M, 1, KH, KW] transposed to [1, KH, KW, C*M].
  depth_multiplier: M = C_out / C_in (the TFLite option is ignored in favour of the shapes, as
             LiteRT does).

Variants: as conv2d. int8 is bit-exact with TFLM's DepthwiseConvPerChannel; hybrid follows
LiteRT's reference DepthwiseConvHybridPerChannel (asymmetric per-batch input quantization,
output = float(acc) * (filter_scale[o] * input_scale) + bias).
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.conv2d import (F32, _wrap32, act_of, check_f32, check_hybrid, check_int8, conv_field,
                                float_epilogue, folded_bias, geom_init, hybrid_scales, output_hw,
                                quantize_asymmetric, requant_table, requant_tables, requantize,
                                spatial_attrs, windows)
from tinymem.ops import _dsp_scratch as dsp_scratch
from tinymem.ops.op import Op, with_pads
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range, clamp

TAP_BYTES = 8  # TM_DEPTHWISE_TAP_BYTES


def _align16(n: int) -> int:
    return (n + 15) // 16 * 16


def dw_accumulate(x: np.ndarray, w: np.ndarray, node, out_hw, pad_value=0) -> np.ndarray:
    """sum over taps of x[..., o // M] * w[0, ky, kx, o]; int64 for integers, float64 for floats."""
    _, kh, kw, oc = w.shape
    mult = oc // x.shape[3]
    acc_t = np.float64 if np.issubdtype(x.dtype, np.floating) else np.int64
    acc = np.zeros((x.shape[0], out_hw[0], out_hw[1], oc), dtype=acc_t)
    for ky, kx, patch in windows(x, node, kh, kw, out_hw, pad_value):
        acc += np.repeat(patch.astype(acc_t), mult, axis=3) * w[0, ky, kx].astype(acc_t)
    return acc


@register
class DepthwiseConv2D(Op):
    name = "depthwise_conv2d"
    tflite = ("DEPTHWISE_CONV_2D",)

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        x, w = ctx.graph.tensor(ins[0]), ctx.graph.tensor(ins[1])
        attrs = spatial_attrs(ctx.options(op), x.shape, w.shape[1], w.shape[2])
        if len(w.shape) != 4 or len(x.shape) != 4 or w.shape[3] % x.shape[3]:
            raise UnsupportedOperatorError(f"DEPTHWISE_CONV_2D: filter {w.shape} does not match input {x.shape}")
        attrs["depth_multiplier"] = w.shape[3] // x.shape[3]
        ctx.add_node(self.name, ins[:3], ctx.outputs(op)[:1], attrs)

    def _shapes(self, node, g):
        x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        mult = node.attrs.get("depth_multiplier", w.shape[-1] // max(x.shape[-1], 1))
        if len(x.shape) != 4 or len(w.shape) != 4 or w.shape[0] != 1 or w.shape[3] != x.shape[3] * mult:
            raise UnsupportedOperatorError(
                f"depthwise_conv2d {node.name}: input {x.shape} / filter {w.shape} do not match")
        return x.shape, w.shape

    def infer(self, node, g):
        xs, ws = self._shapes(node, g)
        oh, ow = output_hw(node, xs, ws[1], ws[2])
        return [(xs[0], oh, ow, ws[3])]

    def macs(self, node, g):
        xs, ws = self._shapes(node, g)
        oh, ow = output_hw(node, xs, ws[1], ws[2])
        return xs[0] * oh * ow * ws[3] * ws[1] * ws[2]

    def _mode(self, node, g) -> str:
        x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        if x.dtype == "f32" and w.dtype == "s8":
            return "hybrid"
        return "f32" if x.dtype == "f32" else "s8"

    def _kernel(self, node, g) -> str:
        xs, ws = self._shapes(node, g)
        mode = self._mode(node, g)
        if mode == "s8" and ws[1] == 3 and ws[2] == 3 and ws[3] == xs[3]:
            return "tm_depthwise_conv2d_3x3_s8"
        return f"tm_depthwise_conv2d_{mode}" if mode != "hybrid" else "tm_depthwise_conv2d_hybrid_f32"

    def scratch_bytes(self, node, g):
        xs, ws = self._shapes(node, g)
        kernel = self._kernel(node, g)
        taps = ws[1] * ws[2] * TAP_BYTES
        if kernel == "tm_depthwise_conv2d_3x3_s8":
            return dsp_scratch.dw3x3_scratch(xs[3]) if g.kernels == "dsp" else 0
        if kernel == "tm_depthwise_conv2d_hybrid_f32":
            return _align16(xs[0] * xs[1] * xs[2] * xs[3]) + _align16(xs[3]) + taps
        return taps

    def receptive_field(self, node, g):
        return conv_field(node, g)

    def patch_node(self, node, pads):
        return with_pads(node, pads)

    def inplace_scratch(self, node, g, index):
        """tm_depthwise_conv2d_inplace_s8 (channels or rows mode), _f32 (rows mode)."""
        from tinymem.ops._inplace import dw_inplace_scratch, geometry_tuple

        mode = self._mode(node, g)
        if index != 0 or mode == "hybrid":
            return None
        xs, ws = self._shapes(node, g)
        geo = geometry_tuple(node, xs, g.tensor(node.outputs[0]).shape, ws[1], ws[2])
        if mode == "s8" and g.kernels == "dsp" and self._kernel(node, g) == "tm_depthwise_conv2d_3x3_s8":
            return dsp_scratch.dw_inplace_3x3_scratch(geo) or None
        return dw_inplace_scratch(geo, self.scratch_bytes(node, g), 4 if mode == "f32" else 1) or None

    # -- numpy reference -------------------------------------------------------------------------
    def reference(self, node, g, inputs):
        x, w = inputs[0], inputs[1]
        bias = inputs[2] if len(inputs) > 2 else None
        out = g.tensor(node.outputs[0])
        xs, ws = self._shapes(node, g)
        out_hw = output_hw(node, xs, ws[1], ws[2])
        rng = activation_range(act_of(node), out)
        mode = self._mode(node, g)
        if mode == "f32":
            check_f32(node, g)
            acc = dw_accumulate(x.astype(F32), w.astype(F32), node, out_hw)
            if bias is not None:
                acc = acc + bias.astype(np.float64)
            return [clamp(acc, rng).astype(F32)]
        if mode == "hybrid":
            check_hybrid(node, g)
            scales = np.broadcast_to(hybrid_scales(node, g, ws[3]), (ws[3],)).astype(F32)
            ys = []
            for b in range(xs[0]):
                xb = x[b:b + 1]
                q, sf, zp = quantize_asymmetric(xb)
                acc = _wrap32(dw_accumulate((q - zp).reshape(xb.shape), w, node, out_hw))
                y = (acc.astype(F32) * (scales * sf).astype(F32)).astype(F32)
                ys.append(float_epilogue(y, bias, rng))
            return [np.concatenate(ys)]
        check_int8(node, g)
        xt = g.tensor(node.inputs[0])
        acc = dw_accumulate(x.astype(np.int64) - xt.zero_point, w, node, out_hw)
        if bias is not None:
            acc = acc + bias.astype(np.int64)
        mult, shift = requant_tables(g, node.inputs[0], node.inputs[1], node.outputs[0], ws[3])
        return [requantize(acc, mult, shift, out.zero_point, rng)]

    # -- C emission ------------------------------------------------------------------------------
    def emit(self, node, g, em):
        xs, ws = self._shapes(node, g)
        out = g.tensor(node.outputs[0])
        rng = activation_range(act_of(node), out)
        geom = em.params("tm_conv2d_geom", node, geom_init(xs, out.shape, ws[1], ws[2], node))
        bias = node.input(2)
        mode = self._mode(node, g)
        kernel = self._kernel(node, g)
        w = g.const(node.inputs[1])
        if w is None or (bias and g.const(bias) is None):
            em.unsupported(node, "a non-constant filter or bias")
        w_cm = np.ascontiguousarray(w.reshape(-1, ws[3]).T)  # [C*M, KH*KW]
        x_ptr, y_ptr = em.ptr(node.inputs[0]), em.ptr(node.outputs[0])
        wt = em.table(f"{node.name}_filter", w_cm, weight=True)
        if mode == "f32":
            check_f32(node, g)
            pad = em.table(f"zeros_f32_{xs[3]}", np.zeros(xs[3], np.float32))
            p = em.params("tm_depthwise_conv2d_params_f32", node,
                          f"{{{em.ptr(bias) if bias else 'NULL'}, {em.float_range(rng)}, {pad}}}")
            if em.inplace(node) is not None:  # the output overwrites the input (same address)
                scratch = em.scratch(node, size_query=f"tm_depthwise_conv2d_inplace_f32_scratch_size(&{geom})")
                em.kernels.add(kernel)
                return em.call("tm_depthwise_conv2d_inplace_f32", f"&{geom}, &{p}, {y_ptr}, {wt}, {scratch}")
            scratch = em.scratch(node, size_query=f"tm_depthwise_conv2d_f32_scratch_size(&{geom})")
            return em.call(kernel, f"&{geom}, &{p}, {x_ptr}, {wt}, {y_ptr}, {scratch}")
        if mode == "hybrid":
            check_hybrid(node, g)
            scales = hybrid_scales(node, g, ws[3])
            folded_bias(w_cm, None, 0, f"depthwise_conv2d {node.name}")  # accumulator bound check
            wsum = em.table(f"{node.name}_wsum", w_cm.astype(np.int64).sum(axis=1).astype(np.int32))
            p = em.params("tm_depthwise_conv2d_params_hybrid", node,
                          f"{{{em.ptr(bias) if bias else 'NULL'}, {em.table(f'{node.name}_scale', scales)}, "
                          f"{scales.size}, {wsum}, {em.float_range(rng)}}}")
            scratch = em.scratch(node, size_query=f"tm_depthwise_conv2d_hybrid_f32_scratch_size(&{geom})")
            return em.call(kernel, f"&{geom}, &{p}, {x_ptr}, {wt}, {y_ptr}, {scratch}")
        check_int8(node, g)
        xt = g.tensor(node.inputs[0])
        folded = folded_bias(w_cm, g.const(bias) if bias else None, -xt.zero_point,
                             f"depthwise_conv2d {node.name}")
        mult, shift = requant_tables(g, node.inputs[0], node.inputs[1], node.outputs[0], ws[3])
        pad = em.table(f"pad_s8_{xs[3]}_{xt.zero_point}", np.full(4 * xs[3], xt.zero_point, np.int8))
        p = em.params("tm_depthwise_conv2d_params_s8", node,
                      f"{{{-xt.zero_point}, {out.zero_point}, {em.table(f'{node.name}_bias', folded)}, "
                      f"{em.table(f'{node.name}_requant', requant_table(mult, shift))}, "
                      f"{{{rng[0]}, {rng[1]}}}, {pad}}}")
        if em.inplace(node) is not None:  # the output overwrites the input (same address)
            scratch = em.scratch(node, size_query=f"tm_depthwise_conv2d_inplace_s8_scratch_size(&{geom})")
            em.kernels.update(("tm_depthwise_conv2d_s8", "tm_depthwise_conv2d_3x3_s8"))
            return em.call("tm_depthwise_conv2d_inplace_s8", f"&{geom}, &{p}, {y_ptr}, {wt}, {scratch}")
        scratch = em.scratch(node, size_query=f"{kernel}_scratch_size(&{geom})")
        return em.call(kernel, f"&{geom}, &{p}, {x_ptr}, {wt}, {y_ptr}, {scratch}")
