"""Pad: TFLite PAD and PADV2 (constant padding); the target of ONNX Pad mode="constant" (the other
ONNX modes import as mirror_pad, tinymem/ops/mirror_pad.py).

IR: pad(input) -> output, attrs
  pads:  [[before, after], ...]  one pair per input dimension, all >= 0
  value: the padding value as stored in the tensor's dtype (raw: an int8 value for int8, not a
         real number); int or float
out_dim[k] = before[k] + in_dim[k] + after[k].

TFLite/TFLM rules: PAD (and PADV2 without constant_values) pads int8 with the output zero point
and every other dtype with 0; PADV2's constant_values must be a constant scalar of the input
dtype (for int8 with the output's quantization). Values are copied bit for bit (no rescaling),
so int8, uint8, bool, int16, int32 and float32 all work; the C kernels are tm_pad_x8/x16/x32.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ir import np_dtype
from tinymem.ops.op import Op, Window
from tinymem.ops.registry import register


def canonical_pads(shape, pads) -> tuple[list[int], list[int], list[int]]:
    """(in_dims, before, after) with every unpadded dimension merged into the next-outer one
    (same bytes, fewer and longer contiguous runs), left-filled to 6 dimensions."""
    dims = [[int(d), int(b), int(a)] for d, (b, a) in zip(shape, pads)] or [[1, 0, 0]]
    merged = [dims[0]]
    for d, b, a in dims[1:]:
        if b == 0 and a == 0:
            merged[-1] = [merged[-1][0] * d, merged[-1][1] * d, merged[-1][2] * d]
        elif merged[-1] == [1, 0, 0]:
            merged[-1] = [d, b, a]
        else:
            merged.append([d, b, a])
    if len(merged) > 6:
        raise UnsupportedOperatorError(f"pad: {len(merged)} independently padded dimensions (at most 6)")
    merged = [[1, 0, 0]] * (6 - len(merged)) + merged
    return [m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged]


@register
class Pad(Op):
    name = "pad"
    tflite = ("PAD", "PADV2")
    onnx = ("Pad",)

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        g = ctx.graph
        x, y = g.tensor(ins[0]), g.tensor(ctx.outputs(op)[0])
        where = ctx.node_name()
        paddings = g.const(ins[1])
        if paddings is None:
            raise UnsupportedOperatorError(f"{where}: PAD with non-constant paddings")
        pads = [[int(b), int(a)] for b, a in np.asarray(paddings).reshape(-1, 2)]
        if len(pads) != len(x.shape):
            raise UnsupportedOperatorError(f"{where}: {len(pads)} padding pairs for a rank-{len(x.shape)} input")
        if len(ins) > 2 and ins[2]:
            cv = g.tensor(ins[2])
            if not cv.is_const or cv.size != 1:
                raise UnsupportedOperatorError(f"{where}: PADV2 constant_values must be a constant scalar")
            if cv.dtype != x.dtype:
                raise UnsupportedOperatorError(f"{where}: PADV2 constant_values dtype {cv.dtype} != {x.dtype}")
            if x.dtype == "s8" and (cv.quant is None or y.quant is None or cv.zero_point != y.zero_point
                                    or np.float32(cv.scale) != np.float32(y.scale)):
                raise UnsupportedOperatorError(
                    f"{where}: PADV2 constant_values quantization differs from the output's")
            value = cv.data.reshape(-1)[0].item()
        elif x.dtype == "s8":
            value = y.zero_point if y.quant is not None else 0
        else:
            value = 0
        node = ctx.add_node(self.name, ins[:1], ctx.outputs(op)[:1], {"pads": pads, "value": value})
        self._check(node, g)

    def _check(self, node, g):
        x, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        where = f"operator pad (node {node.name})"
        if x.dtype != y.dtype:
            raise UnsupportedOperatorError(f"{where}: dtype {x.dtype} -> {y.dtype}")
        if any(b < 0 or a < 0 for b, a in node.attrs["pads"]):
            raise UnsupportedOperatorError(f"{where}: negative padding")
        if y.shape != self.infer(node, g)[0]:
            raise UnsupportedOperatorError(f"{where}: output shape {y.shape} != padded input shape")

    def import_onnx(self, ctx, node):
        """Pad mode "constant" with constant pads (>= 0), value and axes, remapped to the layout."""
        name = node.input[0]
        rank = ctx.rank(name)
        mode = ctx.attr(node, "mode", "constant")
        if mode != "constant":  # reflect / edge / wrap: the mirror_pad op
            from tinymem.ops.registry import get_op

            return get_op("mirror_pad").import_onnx_pad(ctx, node, mode)
        if ctx.opset < 11:
            pads, value, axes = list(ctx.attr(node, "pads")), float(ctx.attr(node, "value", 0.0)), list(range(rank))
        else:
            operands = []
            for i in (1, 2, 3):
                n = node.input[i] if len(node.input) > i else ""
                if n and ctx.const(n) is None:
                    ctx.unsupported(node, "non-constant pads, constant_value or axes")
                operands.append(None if not n else np.asarray(ctx.const(n)).reshape(-1))
            pads = [int(p) for p in operands[0]]
            value = operands[1][0].item() if operands[1] is not None and operands[1].size else 0
            axes = list(range(rank)) if operands[2] is None else [int(a) % rank for a in operands[2]]
        if any(p < 0 for p in pads):
            ctx.unsupported(node, "negative pads (cropping)")
        per_axis = {a: (pads[i], pads[i + len(axes)]) for i, a in enumerate(axes)}
        perm = ctx.perm(name)
        ctx.add_node(self.name, [ctx.input(name)], [ctx.output(node.output[0], perm)],
                     {"pads": [list(per_axis.get(p, (0, 0))) for p in perm], "value": value})

    def receptive_field(self, node, g):
        """NHWC padding of rows and columns only: output pixel (y, x) is input (y - top, x - left)."""
        pads = node.attrs["pads"]
        if len(pads) != 4 or any(pads[0]) or any(pads[3]):
            return None
        return Window(pad=pads[1][0]), Window(pad=pads[2][0])

    def patch_node(self, node, pads):
        top, left, bottom, right = (int(p) for p in pads)
        return dataclasses.replace(node, attrs={**node.attrs, "pads": [[0, 0], [top, bottom], [left, right], [0, 0]]})

    def infer(self, node, g):
        shape = g.tensor(node.inputs[0]).shape
        return [tuple(d + b + a for d, (b, a) in zip(shape, node.attrs["pads"]))]

    def reference(self, node, g, inputs):
        x = inputs[0]
        value = np.asarray(node.attrs["value"]).astype(x.dtype)
        return [np.pad(x, [tuple(p) for p in node.attrs["pads"]], mode="constant", constant_values=value)]

    def emit(self, node, g, em):
        self._check(node, g)
        x = g.tensor(node.inputs[0])
        if x.dtype not in ("s8", "u8", "bool", "s16", "s32", "f32"):
            em.unsupported(node, f"dtype {x.dtype}")
        size = np_dtype(x.dtype).itemsize
        dims, before, after = canonical_pads(x.shape, node.attrs["pads"])
        fmt = lambda v: "{" + ", ".join(map(str, v)) + "}"  # noqa: E731
        p = em.params("tm_pad_params", node, f"{{{fmt(dims)}, {fmt(before)}, {fmt(after)}}}")
        value = em.table(f"{node.name}_value", np.asarray([node.attrs["value"]]).astype(np_dtype(x.dtype)))
        return em.call(f"tm_pad_x{8 * size}",
                       f"&{p}, {value}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
