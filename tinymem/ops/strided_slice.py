"""StridedSlice: TFLite STRIDED_SLICE and SLICE (any dtype of 1, 2 or 4 bytes); ONNX Slice.

IR: strided_slice(input) -> output, attrs (one entry per INPUT dimension, fully resolved):
  begin:   first index read, in [0, dim) when the dimension is non-empty
  end:     exclusive stop, in [-1, dim]; -1 means "through index 0" for negative steps
  strides: nonzero step (negative walks backwards)
Dimension k contributes the indices range(begin[k], end[k], strides[k]) (Python semantics); the
output holds the product of those counts in row-major order, and its tensor shape may drop
(shrink_axis) or insert (new_axis) size-1 axes - a reshape.

TFLite STRIDED_SLICE import: begin_mask, end_mask, shrink_axis_mask and offset follow TFLM's
StridedSliceStartForAxis / StridedSliceEndForAxis (negative indices wrap once, then clamp to
[0, dim] or [-1, dim - 1] by step sign; a shrunk axis reads begin only). ellipsis_mask and
new_axis_mask follow TensorFlow's dense-spec expansion (TFLM itself ignores those two masks).
A shrunk axis with a negative step is rejected (TFLM would write nothing there).
SLICE(begin, size) maps to begin, end = begin + size (size -1: to the end), strides 1.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.ops.transpose import dense_strides, kernel_suffix, strided_copy

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _clamp(v, lo, hi):
    return hi if v > hi else lo if v < lo else v


def _start(b, size, stride, begin_masked):
    """TFLM StridedSliceStartForAxis."""
    if b < 0:
        b += size
    b = _clamp(b, 0, size) if stride > 0 else _clamp(b, -1, size - 1)
    if begin_masked:
        b = 0 if stride > 0 else size - 1
    return b


def _stop(e, start, size, stride, end_masked, shrink, offset):
    """TFLM StridedSliceEndForAxis."""
    if shrink:
        return start if start >= size else start + 1
    if offset:
        e += start
    if e < 0:
        e += size
    e = _clamp(e, 0, size) if stride > 0 else _clamp(e, -1, size - 1)
    if end_masked:
        e = size if stride > 0 else -1
    return e


def resolve_strided_slice(shape, begin, end, strides, begin_mask=0, end_mask=0, ellipsis_mask=0,
                          new_axis_mask=0, shrink_axis_mask=0, offset=False) -> dict:
    """TFLite STRIDED_SLICE operands and options -> the IR attrs (raises for unsupported cases)."""
    rank, n = len(shape), len(begin)
    bit = lambda mask, i: bool(mask >> i & 1)  # noqa: E731
    ell = [i for i in range(n) if bit(ellipsis_mask, i)]
    # TensorFlow's dense spec: sparse entry -> input dimension (None for new axes)
    spec, dim = [], 0
    for i in range(n):
        if ell and i == ell[0]:
            after = sum(1 for j in range(i + 1, n) if not bit(new_axis_mask, j))
            while dim < rank - after:
                spec.append((dim, 0, 0, 1, True, True, False))
                dim += 1
        elif bit(ellipsis_mask, i):
            raise UnsupportedOperatorError("strided_slice: more than one ellipsis")
        elif bit(new_axis_mask, i):
            continue
        else:
            spec.append((dim, int(begin[i]), int(end[i]), int(strides[i]), bit(begin_mask, i),
                         bit(end_mask, i), bit(shrink_axis_mask, i)))
            dim += 1
    while dim < rank:  # an implicit trailing ellipsis
        spec.append((dim, 0, 0, 1, True, True, False))
        dim += 1
    if dim != rank:
        raise UnsupportedOperatorError(f"strided_slice: {n} index entries for a rank-{rank} input")
    out = {"begin": [], "end": [], "strides": []}
    for d, b, e, s, bm, em, shrink in spec:
        if s == 0:
            raise UnsupportedOperatorError("strided_slice: a zero stride")
        if shrink and s < 0:
            raise UnsupportedOperatorError("strided_slice: shrink_axis with a negative stride")
        size = shape[d]
        start = _start(b, size, s, bm)
        stop = _stop(e, start, size, s, em, shrink, offset)
        out["begin"].append(start)
        out["end"].append(stop)
        out["strides"].append(s)
    return out


def slice_counts(attrs) -> list[int]:
    return [len(range(b, e, s)) for b, e, s in zip(attrs["begin"], attrs["end"], attrs["strides"])]


@register
class StridedSlice(Op):
    name = "strided_slice"
    tflite = ("STRIDED_SLICE", "SLICE")
    onnx = ("Slice",)

    def import_tflite(self, ctx, op):
        g = ctx.graph
        ins = ctx.inputs(op)
        shape = g.tensor(ins[0]).shape
        consts = [g.const(t) for t in ins[1:]]
        if any(c is None for c in consts):
            raise UnsupportedOperatorError(f"{ctx.node_name()}: {ctx.opcode} with non-constant indices")
        consts = [np.asarray(c).reshape(-1).tolist() for c in consts]
        if ctx.opcode == "SLICE":
            begin, size = consts
            if len(begin) != len(shape) or len(size) != len(shape):
                raise UnsupportedOperatorError(f"{ctx.node_name()}: SLICE indices do not match rank {len(shape)}")
            end = [d if z == -1 else b + z for d, b, z in zip(shape, begin, size)]
            attrs = resolve_strided_slice(shape, begin, end, [1] * len(shape))
        else:
            o = ctx.options(op)
            attrs = resolve_strided_slice(
                shape, *consts, begin_mask=o.get("begin_mask", 0), end_mask=o.get("end_mask", 0),
                ellipsis_mask=o.get("ellipsis_mask", 0), new_axis_mask=o.get("new_axis_mask", 0),
                shrink_axis_mask=o.get("shrink_axis_mask", 0), offset=bool(o.get("offset", False)))
        node = ctx.add_node(self.name, ins[:1], ctx.outputs(op)[:1], attrs)
        count = int(np.prod(slice_counts(attrs), dtype=np.int64))
        if count != g.tensor(node.outputs[0]).size:
            raise UnsupportedOperatorError(
                f"{ctx.node_name()}: the slice holds {count} elements but the output tensor "
                f"{g.tensor(node.outputs[0]).shape} holds {g.tensor(node.outputs[0]).size}")

    def import_onnx(self, ctx, node):
        """Slice with constant starts/ends/axes/steps, clamped as ONNX does, in the input's order."""
        name = node.input[0]
        shape = ctx.shape(name)
        vals = []
        for i in range(1, 5):
            n = node.input[i] if len(node.input) > i else ""
            if n and ctx.const(n) is None:
                ctx.unsupported(node, "non-constant starts/ends/axes/steps")
            vals.append([int(v) for v in np.asarray(ctx.const(n)).reshape(-1)] if n else None)
        starts, ends, axes, steps = vals
        axes = list(range(len(starts))) if axes is None else [a % len(shape) for a in axes]
        steps = steps or [1] * len(starts)
        begin, end, stride = [0] * len(shape), list(shape), [1] * len(shape)
        for a, st, en, sp in zip(axes, starts, ends, steps):
            d = shape[a]
            st, en = (st + d if st < 0 else st), (en + d if en < 0 else en)
            if sp > 0:
                st, en = min(max(st, 0), d), min(max(en, 0), d)
            else:
                st, en = min(max(st, 0), d - 1), min(max(en, -1), d - 1)
            begin[a], end[a], stride[a] = st, en, sp
        perm = ctx.perm(name)
        ctx.add_node(self.name, [ctx.input(name)], [ctx.output(node.output[0], perm)],
                     {"begin": [begin[p] for p in perm], "end": [end[p] for p in perm],
                      "strides": [stride[p] for p in perm]})

    def infer(self, node, g):
        return [g.tensor(node.outputs[0]).shape]

    def reference(self, node, g, inputs):
        a = node.attrs
        idx = [np.arange(b, e, s) for b, e, s in zip(a["begin"], a["end"], a["strides"])]
        return [inputs[0][np.ix_(*idx)].reshape(g.tensor(node.outputs[0]).shape)]

    def emit(self, node, g, em):
        x = g.tensor(node.inputs[0])
        counts = slice_counts(node.attrs)
        if 0 in counts:
            return "/* empty slice: nothing to move */"
        suffix = kernel_suffix(node, g, em)
        st = dense_strides(x.shape)
        a = node.attrs
        offset = sum(b * s for b, s in zip(a["begin"], st))
        p = em.params("tm_strided_copy", node,
                      strided_copy(counts, [k * s for k, s in zip(a["strides"], st)], offset))
        return em.call(f"tm_strided_slice_{suffix}",
                       f"&{p}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
