"""MirrorPad: TFLite MIRROR_PAD (REFLECT, SYMMETRIC) and ONNX Pad modes reflect / edge / wrap.

IR: mirror_pad(input) -> output, attrs
  pads:  [[before, after], ...]  one pair per input dimension, all >= 0
  mode:  "reflect"   mirror without repeating the edge element (x[2] x[1] | x[0] x[1] ...)
         "symmetric" mirror repeating the edge element     (x[1] x[0] | x[0] x[1] ...)
         "edge"      repeat the edge element               (x[0] x[0] | x[0] x[1] ...)
         "wrap"      continue periodically                 (x[n-2] x[n-1] | x[0] x[1] ...)
out_dim[k] = before[k] + in_dim[k] + after[k]. The values are exactly numpy.pad's with the same
mode. TFLite limits (as TFLM): before/after <= in_dim - 1 for REFLECT, <= in_dim for SYMMETRIC;
ONNX reflect pads may be longer (numpy's repeated reflection; onnxruntime rejects them).
Values are copied bit for bit, so any dtype works (int8 needs equal input and output
quantization, as in TFLM). ONNX Pad reaches this module through tinymem/ops/pad.py.
C: tm_mirror_pad_x8/x16/x32 (runtime_c/include/tinymem/mirror_pad.h), a gather through
per-dimension source-index tables computed here.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ir import np_dtype
from tinymem.ops.op import Op
from tinymem.ops.registry import register

MODES = ("reflect", "symmetric", "edge", "wrap")
_TFLITE_MODES = {0: "reflect", 1: "symmetric"}  # tflite.MirrorPadMode


def canonical(shape, pads) -> tuple[list[int], list[int], list[int]]:
    """(in_dims, before, after): neighbouring unpadded dims merged, left-filled to 6 dims."""
    dims: list[list[int]] = []
    for d, (b, a) in zip(shape, pads):
        if dims and b == a == 0 and dims[-1][1] == dims[-1][2] == 0:
            dims[-1][0] *= int(d)
        else:
            dims.append([int(d), int(b), int(a)])
    dims = [x for x in dims if x != [1, 0, 0]] or [[1, 0, 0]]
    if len(dims) > 6:
        raise UnsupportedOperatorError(f"mirror_pad: {len(dims)} independently padded dimensions (at most 6)")
    dims = [[1, 0, 0]] * (6 - len(dims)) + dims
    return [x[0] for x in dims], [x[1] for x in dims], [x[2] for x in dims]


def index_table(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source positions of the padded dim: numpy.pad of arange(n) with the mode."""
    return np.pad(np.arange(n, dtype=np.int32), (before, after), mode=mode).astype(np.int32)


@register
class MirrorPad(Op):
    name = "mirror_pad"
    tflite = ("MIRROR_PAD",)

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        g = ctx.graph
        where = ctx.node_name()
        paddings = g.const(ins[1])
        if paddings is None:
            raise UnsupportedOperatorError(f"{where}: MIRROR_PAD with non-constant paddings")
        mode = ctx.options(op).get("mode", 0)
        mode = _TFLITE_MODES.get(mode, mode) if not isinstance(mode, str) else mode.lower()
        pads = [[int(b), int(a)] for b, a in np.asarray(paddings).reshape(-1, 2)]
        node = ctx.add_node(self.name, ins[:1], ctx.outputs(op)[:1], {"pads": pads, "mode": mode})
        x = g.tensor(ins[0])
        limit = 1 if mode == "reflect" else 0
        for d, (b, a) in zip(x.shape, pads):
            if max(b, a) > d - limit:
                raise UnsupportedOperatorError(f"{where}: MIRROR_PAD {mode} of {max(b, a)} on a dimension of {d} "
                                               f"(at most {d - limit})")
        self._check(node, g)

    def import_onnx_pad(self, ctx, node, mode: str):
        """ONNX Pad with mode reflect / edge / wrap (called by tinymem/ops/pad.py)."""
        if mode not in ("reflect", "edge", "wrap"):
            ctx.unsupported(node, f"mode {mode!r}")
        name = node.input[0]
        rank = ctx.rank(name)
        if ctx.opset < 11:
            pads, axes = list(ctx.attr(node, "pads")), list(range(rank))
        else:
            for i in (1, 3):
                n = node.input[i] if len(node.input) > i else ""
                if n and ctx.const(n) is None:
                    ctx.unsupported(node, "non-constant pads or axes")
            pads = [int(p) for p in np.asarray(ctx.const(node.input[1])).reshape(-1)]
            axes_in = node.input[3] if len(node.input) > 3 else ""
            axes = (list(range(rank)) if not axes_in
                    else [int(a) % rank for a in np.asarray(ctx.const(axes_in)).reshape(-1)])
        if any(p < 0 for p in pads):
            ctx.unsupported(node, "negative pads (cropping)")
        per_axis = {a: (pads[i], pads[i + len(axes)]) for i, a in enumerate(axes)}
        shape = ctx.shape(name)
        for a, (b, e) in per_axis.items():
            if max(b, e) > 0 and (shape[a] < 1 or (mode == "reflect" and shape[a] < 2)):
                ctx.unsupported(node, f"{mode} padding of a dimension of size {shape[a]}")
        perm = ctx.perm(name)
        ctx.add_node(self.name, [ctx.input(name)], [ctx.output(node.output[0], perm)],
                     {"pads": [list(per_axis.get(p, (0, 0))) for p in perm], "mode": mode})

    def _check(self, node, g):
        x, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        where = f"operator mirror_pad (node {node.name})"
        pads, mode = node.attrs["pads"], node.attrs["mode"]
        if mode not in MODES:
            raise UnsupportedOperatorError(f"{where}: mode {mode!r}")
        if len(pads) != len(x.shape) or any(b < 0 or a < 0 for b, a in pads):
            raise UnsupportedOperatorError(f"{where}: pads {pads} for a rank-{len(x.shape)} input")
        if x.dtype != y.dtype:
            raise UnsupportedOperatorError(f"{where}: input {x.dtype}, output {y.dtype}")
        if x.quant is not None and (y.quant is None or x.zero_point != y.zero_point
                                    or np.float32(x.scale) != np.float32(y.scale)):
            raise UnsupportedOperatorError(f"{where}: input and output quantization differ")
        if mode == "reflect" and any(d < 2 and (b or a) for d, (b, a) in zip(x.shape, pads)):
            raise UnsupportedOperatorError(f"{where}: reflect padding of a dimension of size 1")

    def infer(self, node, g):
        shape = g.tensor(node.inputs[0]).shape
        return [tuple(d + b + a for d, (b, a) in zip(shape, node.attrs["pads"]))]

    def reference(self, node, g, inputs):
        self._check(node, g)
        return [np.pad(inputs[0], [tuple(p) for p in node.attrs["pads"]], mode=node.attrs["mode"])]

    def emit(self, node, g, em):
        self._check(node, g)
        x = g.tensor(node.inputs[0])
        size = np_dtype(x.dtype).itemsize
        if size not in (1, 2, 4):
            em.unsupported(node, f"dtype {x.dtype}")
        dims, before, after = canonical(x.shape, node.attrs["pads"])
        mode = node.attrs["mode"]
        index = np.concatenate([index_table(n, b, a, mode) for n, b, a in zip(dims, before, after)])
        out = [n + b + a for n, b, a in zip(dims, before, after)]
        fmt = lambda v: "{" + ", ".join(map(str, v)) + "}"  # noqa: E731
        p = em.params("tm_mirror_pad_params", node,
                      f"{{{fmt(dims)}, {fmt(out)}, {em.table(node.name + '_index', index)}}}")
        return em.call(f"tm_mirror_pad_x{8 * size}", f"&{p}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
