"""Transpose: TFLite TRANSPOSE (any dtype of 1, 2 or 4 bytes, any rank); ONNX Transpose.

IR: transpose(input) -> output, attrs
  perm: list of input axes, one per output axis: output.shape[d] = input.shape[perm[d]]
        (non-negative, a permutation of range(rank))
Values are moved bit for bit. The C kernels (tm_transpose_x8/x16/x32) gather through a
tm_strided_copy; `strided_copy` below, shared with strided_slice, builds it.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ir import np_dtype
from tinymem.ops.op import Op
from tinymem.ops.registry import register

#: dtypes the byte-moving kernels handle (f16 is stored as raw bits too, but its constants
#: would not print as such)
MOVABLE = ("s8", "u8", "bool", "s16", "s32", "f32")


def dense_strides(shape) -> list[int]:
    """Row-major element strides of a dense tensor."""
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= int(d)
    return strides[::-1]


def strided_copy(dims, strides, offset: int = 0) -> str:
    """C initializer of a tm_strided_copy for a gather of `dims` (output shape) reading the input
    at `offset + sum(i_k * strides[k])`: size-1 dimensions dropped, dimensions that stay
    contiguous merged, left-filled to 6."""
    merged: list[list[int]] = []
    for d, s in zip(dims, strides):
        if d == 1:
            continue
        if merged and merged[-1][1] == s * d:
            merged[-1] = [merged[-1][0] * d, s]
        else:
            merged.append([int(d), int(s)])
    merged = merged or [[1, 1]]
    if len(merged) > 6:
        raise UnsupportedOperatorError(f"data movement over {len(merged)} non-mergeable dimensions (at most 6)")
    merged = [[1, 0]] * (6 - len(merged)) + merged
    fmt = lambda v: "{" + ", ".join(str(x) for x in v) + "}"  # noqa: E731
    return f"{{{fmt(m[0] for m in merged)}, {fmt(m[1] for m in merged)}, {int(offset)}}}"


def kernel_suffix(node, g, em) -> str:
    """x8 / x16 / x32 from the node's output dtype (unsupported otherwise)."""
    dtype = g.tensor(node.outputs[0]).dtype
    if dtype not in MOVABLE:
        em.unsupported(node, f"dtype {dtype}")
    return f"x{8 * np_dtype(dtype).itemsize}"


@register
class Transpose(Op):
    name = "transpose"
    tflite = ("TRANSPOSE",)
    onnx = ("Transpose",)

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        perm = ctx.graph.const(ins[1])
        rank = len(ctx.graph.tensor(ins[0]).shape)
        if perm is None:
            raise UnsupportedOperatorError(f"{ctx.node_name()}: TRANSPOSE with a non-constant perm")
        perm = [int(p) + rank if p < 0 else int(p) for p in np.asarray(perm).reshape(-1)]
        if sorted(perm) != list(range(rank)):
            raise UnsupportedOperatorError(f"{ctx.node_name()}: perm {perm} is not a permutation of rank {rank}")
        node = ctx.add_node(self.name, ins[:1], ctx.outputs(op)[:1], {"perm": perm})
        if ctx.graph.tensor(node.outputs[0]).shape != self.infer(node, ctx.graph)[0]:
            raise UnsupportedOperatorError(f"{ctx.node_name()}: output shape does not match perm {perm}")

    def import_onnx(self, ctx, node):
        """ONNX Transpose costs nothing: its output is stored in the axis order that makes it the
        input's bytes (an alias); a consumer needing another order converts once."""
        name = node.input[0]
        p = [int(v) for v in ctx.attr(node, "perm", list(range(ctx.rank(name)))[::-1])]
        q = tuple(p.index(s) for s in ctx.perm(name))
        ctx.add_node("identity", [ctx.input(name)], [ctx.output(node.output[0], q)])

    def infer(self, node, g):
        shape = g.tensor(node.inputs[0]).shape
        return [tuple(shape[p] for p in node.attrs["perm"])]

    def reference(self, node, g, inputs):
        return [np.transpose(inputs[0], node.attrs["perm"])]

    def emit(self, node, g, em):
        x = g.tensor(node.inputs[0])
        perm = node.attrs["perm"]
        if x.size == 0:
            return "/* empty tensor: nothing to move */"
        suffix = kernel_suffix(node, g, em)
        in_strides = dense_strides(x.shape)
        p = em.params("tm_strided_copy", node,
                      strided_copy([x.shape[a] for a in perm], [in_strides[a] for a in perm]))
        return em.call(f"tm_transpose_{suffix}", f"&{p}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}")
