"""AveragePool2D: TFLite AVERAGE_POOL_2D (int8, int16, float32). Also the shared `Pool2D` base.

IR: average_pool2d(input[N, H, W, C]) -> output[N, OH, OW, C], NHWC, with attrs
  kernel:  [kh, kw]                     window size, >= 1
  strides: [sh, sw]                     >= 1
  pads:    [top, left, bottom, right]   explicit, each in [0, kernel - 1] along its axis
  act:     fused activation ("none", "relu", "relu6", "relu_n1_to_1")
OH = (H + top + bottom - kh) // sh + 1 (likewise OW). Window (oy, ox) covers input rows
oy*sh - top .. + kh - 1 and columns ox*sw - left .. + kw - 1; taps outside the image are skipped
and do NOT count in the average (TFLite semantics; ONNX count_include_pad=0). TFLite SAME/VALID
padding becomes explicit pads exactly as TFLM's ComputePaddingHeightWidth computes them (the odd
extra pixel of SAME goes to bottom/right).

int8/int16: input and output must share scale (to 1e-6) and zero point (TFLM requires it); the
average is the int32 tap sum divided by the in-image tap count, rounded half away from zero.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op, Window, with_pads
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range, clamp


def tflite_pads(padding: str, size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of one spatial axis, as TFLM's ComputePaddingHeightWidth."""
    if padding == "SAME":
        out = (size + stride - 1) // stride
    elif padding == "VALID":
        out = (size + stride - kernel) // stride
    else:
        raise UnsupportedOperatorError(f"padding {padding!r} is not supported")
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Pool2D(Op):
    """What AveragePool2D and MaxPool2D share: attrs, import, shapes, windows, emission."""

    header = "pooling"
    kernel_prefix = ""

    def import_tflite(self, ctx, op):
        o = ctx.options(op)
        x = ctx.graph.tensor(ctx.inputs(op)[0])
        kh, kw = int(o["filter_height"]), int(o["filter_width"])
        sh, sw = int(o["stride_h"]), int(o["stride_w"])
        if len(x.shape) != 4:
            raise UnsupportedOperatorError(f"{ctx.node_name()}: pooling input must be 4-D NHWC, got {x.shape}")
        top, bottom = tflite_pads(o["padding"], x.shape[1], kh, sh)
        left, right = tflite_pads(o["padding"], x.shape[2], kw, sw)
        node = ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1],
                            {"kernel": [kh, kw], "strides": [sh, sw], "pads": [top, left, bottom, right],
                             "act": o.get("fused_activation_function", "none")})
        self._check(node, ctx.graph)

    def _check(self, node, g):
        x, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        kh, kw = node.attrs["kernel"]
        sh, sw = node.attrs["strides"]
        top, left, bottom, right = node.attrs["pads"]
        where = f"operator {self.name} (node {node.name})"
        if min(kh, kw, sh, sw) < 1 or min(top, left, bottom, right) < 0:
            raise UnsupportedOperatorError(f"{where}: kernel and strides must be >= 1, pads >= 0")
        if top >= kh or bottom >= kh or left >= kw or right >= kw:
            raise UnsupportedOperatorError(f"{where}: padding as large as the window is not supported")
        if x.dtype != y.dtype or x.dtype not in ("f32", "s8", "s16"):
            raise UnsupportedOperatorError(f"{where}: dtype {x.dtype} -> {y.dtype} is not supported")
        if x.dtype != "f32":
            if x.quant is None or y.quant is None or x.quant.per_channel or y.quant.per_channel:
                raise UnsupportedOperatorError(f"{where}: integer pooling needs per-tensor quantization")
            if abs(float(x.scale) - float(y.scale)) > 1e-6 or x.zero_point != y.zero_point:
                raise UnsupportedOperatorError(
                    f"{where}: input and output quantization differ (TFLM requires them equal)")
        if len(x.shape) != 4 or y.shape != self.infer(node, g)[0]:
            raise UnsupportedOperatorError(f"{where}: output shape {y.shape} does not match the window "
                                           f"arithmetic for input {x.shape}")
        activation_range(node.attrs["act"], y)  # raises for unsupported activations

    def import_onnx(self, ctx, node):
        """AveragePool / MaxPool, 1-D or 2-D: explicit pads (auto_pad, ceil_mode resolved);
        count_include_pad=1 becomes a zero pad followed by an unpadded average."""
        from tinymem.frontend.onnx_attrs import as_2d, output_2d, spatial_2d, window_pads

        if len(node.output) > 1 and node.output[1]:
            ctx.unsupported(node, "the Indices output")
        kernel = [int(k) for k in ctx.attr(node, "kernel_shape")]
        nsp = len(kernel)
        strides = [int(s) for s in ctx.attr(node, "strides", [1] * nsp)]
        dil = [int(d) for d in ctx.attr(node, "dilations", [1] * nsp)]
        if any(d != 1 for d in dil):
            ctx.unsupported(node, f"dilations {dil}")
        ceil = bool(ctx.attr(node, "ceil_mode", 0))
        x, (n, c, h, w) = as_2d(ctx, node.input[0])
        begins, ends, _ = window_pads(ctx, node, ctx.shape(node.input[0])[2:], kernel, strides, dil, ceil)
        b2, e2 = spatial_2d(begins, 0), spatial_2d(ends, 0)
        if node.op_type == "AveragePool" and ctx.attr(node, "count_include_pad", 0) and any(b2 + e2):
            if ceil:
                ctx.unsupported(node, "count_include_pad=1 with ceil_mode=1")
            padded = ctx.temp(f"{node.output[0]}_padded", (n, h + b2[0] + e2[0], w + b2[1] + e2[1], c),
                              ctx.graph.tensor(x).dtype)
            ctx.add_node("pad", [x], [padded], {"pads": [[0, 0], [b2[0], e2[0]], [b2[1], e2[1]], [0, 0]],
                                                "value": 0.0}, suffix="pad")
            x, b2, e2 = padded, [0, 0], [0, 0]
        y, finish = output_2d(ctx, node.output[0])
        ctx.add_node(self.name, [x], [y], {"kernel": spatial_2d(kernel, 1), "strides": spatial_2d(strides, 1),
                                           "pads": [b2[0], b2[1], e2[0], e2[1]], "act": "none"})
        finish()

    def receptive_field(self, node, g):
        (kh, kw), (sh, sw), (top, left) = node.attrs["kernel"], node.attrs["strides"], node.attrs["pads"][:2]
        return Window(kh, sh, 1, top), Window(kw, sw, 1, left)

    def patch_node(self, node, pads):
        return with_pads(node, pads)

    def infer(self, node, g):
        n, h, w, c = g.tensor(node.inputs[0]).shape
        kh, kw = node.attrs["kernel"]
        sh, sw = node.attrs["strides"]
        top, left, bottom, right = node.attrs["pads"]
        return [(n, (h + top + bottom - kh) // sh + 1, (w + left + right - kw) // sw + 1, c)]

    def _taps(self, node, g, x: np.ndarray, fill):
        """Yields, per window tap (row-major), the [N, OH, OW, C] input values (fill off-image)
        and a [OH, OW] mask of the taps that lie inside the image."""
        n, h, w, c = x.shape
        _, oh, ow, _ = self.infer(node, g)[0]
        kh, kw = node.attrs["kernel"]
        sh, sw = node.attrs["strides"]
        top, left = node.attrs["pads"][:2]
        ph, pw = (oh - 1) * sh + kh, (ow - 1) * sw + kw
        xp = np.full((n, max(ph, top + h), max(pw, left + w), c), fill, dtype=x.dtype)
        xp[:, top:top + h, left:left + w, :] = x
        inside = np.zeros(xp.shape[1:3], dtype=bool)
        inside[top:top + h, left:left + w] = True
        for fy in range(kh):
            for fx in range(kw):
                rows, cols = slice(fy, fy + (oh - 1) * sh + 1, sh), slice(fx, fx + (ow - 1) * sw + 1, sw)
                yield xp[:, rows, cols, :], inside[rows, cols]

    def emit(self, node, g, em):
        x, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        if y.dtype not in ("f32", "s8", "s16"):
            em.unsupported(node, f"dtype {y.dtype}")
        n, h, w, c = x.shape
        _, oh, ow, _ = y.shape
        kh, kw = node.attrs["kernel"]
        sh, sw = node.attrs["strides"]
        top, left = node.attrs["pads"][:2]
        dims = em.params("tm_pool_dims", node,
                         f"{{{n}, {h}, {w}, {c}, {oh}, {ow}, {kh}, {kw}, {sh}, {sw}, {top}, {left}}}")
        rng = activation_range(node.attrs["act"], y)
        if y.dtype == "f32":
            act = em.params("tm_act_f32", node, em.float_range(rng))
        else:
            act = em.params("tm_act_s32", node, f"{{{rng[0]}, {rng[1]}}}")
        return em.call(f"{self.kernel_prefix}_{y.dtype}",
                       f"&{dims}, &{act}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")


@register
class AveragePool2D(Pool2D):
    name = "average_pool2d"
    tflite = ("AVERAGE_POOL_2D",)
    onnx = ("AveragePool",)
    kernel_prefix = "tm_average_pool2d"

    def reference(self, node, g, inputs):
        self._check(node, g)
        x = inputs[0]
        y = g.tensor(node.outputs[0])
        rng = activation_range(node.attrs["act"], y)
        if x.dtype == np.float32:
            total, count = None, None
            for vals, inside in self._taps(node, g, x, 0.0):
                # off-image taps add +0.0: the float sum of the in-image taps is unchanged
                total = vals.copy() if total is None else total + vals
                count = inside.astype(np.int64) if count is None else count + inside
            avg = total / count[None, :, :, None].astype(np.float32)
            return [clamp(avg, (np.float32(rng[0]), np.float32(rng[1]))).astype(np.float32)]
        acc, count = 0, 0
        for vals, inside in self._taps(node, g, x.astype(np.int64), 0):
            acc = acc + vals
            count = count + inside.astype(np.int64)
        count = count[None, :, :, None]
        half = count // 2
        # (acc +/- n/2) / n with C truncation toward zero
        q = np.where(acc > 0, (acc + half) // count, -((-acc + half) // count))
        return [clamp(q, rng).astype(x.dtype)]
