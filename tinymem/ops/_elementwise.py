"""Shared machinery of the binary elementwise operators (add, sub, mul).

IR (all three): <op>(input1, input2) {act} -> output.
  act: fused activation, "none" | "relu" | "relu6" | "relu_n1_to_1".
  Broadcasting follows NumPy rules (shapes aligned on the right, size-1 dims stretch), up to
  rank 6; the output shape is the broadcast of the input shapes. Either input may be constant.
Dtypes: all three tensors share one dtype, f32, s8 or s16 (quantized per tensor).

The C kernels (runtime_c/include/tinymem/elementwise.h) walk the output through a `tm_bcast`
built here at compile time: size-1 dims dropped and neighbouring dims that broadcast alike merged,
so the same-shape case is one flat loop.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op
from tinymem.quant.activation import activation_range, clamp

MAX_RANK = 6


def broadcast_plan(shape1, shape2, out_shape) -> tuple[list[int], list[int], list[int]]:
    """(extents, input1 strides, input2 strides) of the collapsed output walk (outermost first).

    A stride is 0 where that input is broadcast along the dim; innermost strides are 0 or 1.
    The output is walked as the broadcast shape of the inputs (out_shape must have its size).
    """
    bshape = tuple(np.broadcast_shapes(tuple(shape1), tuple(shape2)))
    if int(np.prod(bshape)) != int(np.prod(out_shape)):
        raise UnsupportedOperatorError(f"output shape {list(out_shape)} is not the broadcast of "
                                       f"{list(shape1)} and {list(shape2)}")
    out_shape = bshape
    r = len(out_shape)
    s1 = (1,) * (r - len(shape1)) + tuple(shape1)
    s2 = (1,) * (r - len(shape2)) + tuple(shape2)
    dims: list[list] = []  # [extent, input1 present, input2 present]
    for n, a, b in zip(out_shape, s1, s2):
        if n == 1:
            continue
        flags = [a == n, b == n]
        if dims and dims[-1][1:] == flags:
            dims[-1][0] *= n
        else:
            dims.append([n, *flags])
    if not dims:
        dims = [[1, True, True]]
    if len(dims) > MAX_RANK:
        raise UnsupportedOperatorError(f"broadcast of {list(shape1)} and {list(shape2)} needs "
                                       f"{len(dims)} dims (at most {MAX_RANK})")
    strides = []
    for k in (1, 2):
        run, st = 1, []
        for d in reversed(dims):
            st.append(run if d[k] else 0)
            run *= d[0] if d[k] else 1
        strides.append(st[::-1])
    return [d[0] for d in dims], strides[0], strides[1]


def emit_bcast(em, node, g) -> str:
    """Identifier of the node's static const tm_bcast."""
    shape, st1, st2 = broadcast_plan(g.tensor(node.inputs[0]).shape, g.tensor(node.inputs[1]).shape,
                                     g.tensor(node.outputs[0]).shape)
    pad = [0] * (MAX_RANK - len(shape))

    def arr(v):
        return "{" + ", ".join(str(x) for x in list(v) + pad) + "}"

    return em.params("tm_bcast", node, f"{{{len(shape)}, {arr(shape)}, {arr(st1)}, {arr(st2)}}}")


class BinaryOp(Op):
    """Base of add/sub/mul: import, shape rule, float reference, dispatch by dtype."""

    header = "elementwise"
    #: the output may overwrite an input of its own shape (the kernels read element i of both
    #: inputs before writing output element i)
    inplace_inputs = (0, 1)
    pointwise = True  # patch-based inference: output pixel (y, x) reads input pixel (y, x)
    #: numpy function of the float op
    fn = None

    def import_tflite(self, ctx, op):
        opts = ctx.options(op)
        ctx.add_node(self.name, ctx.inputs(op)[:2], ctx.outputs(op)[:1],
                     {"act": opts.get("fused_activation_function", "none")})

    def import_onnx(self, ctx, node):
        """ONNX Add / Sub / Mul: numpy broadcasting, constants laid out at compile time."""
        from tinymem.frontend.onnx_attrs import elementwise

        elementwise(self.name, ctx, node, {"act": "none"})

    def infer(self, node, g):
        return [tuple(np.broadcast_shapes(g.tensor(node.inputs[0]).shape, g.tensor(node.inputs[1]).shape))]

    def _check(self, node, g):
        a, b, y = (g.tensor(n) for n in (*node.inputs[:2], node.outputs[0]))
        if not (a.dtype == b.dtype == y.dtype):
            raise UnsupportedOperatorError(f"operator {node.op} (node {node.name}): mixed dtypes "
                                           f"{a.dtype}, {b.dtype} -> {y.dtype} are not supported")
        if y.dtype not in ("f32", "s8", "s16"):
            raise UnsupportedOperatorError(f"operator {node.op} (node {node.name}): dtype {y.dtype} "
                                           "is not supported")
        if y.dtype != "f32" and any(t.quant is None or t.quant.per_channel for t in (a, b, y)):
            raise UnsupportedOperatorError(f"operator {node.op} (node {node.name}): needs per-tensor "
                                           "quantized inputs and output")
        return a, b, y

    def reference(self, node, g, inputs):
        a, b, y = self._check(node, g)
        rng = activation_range(node.attrs["act"], y)
        if y.dtype == "f32":
            x1 = np.asarray(inputs[0], dtype=np.float32)
            x2 = np.asarray(inputs[1], dtype=np.float32)
            out = clamp(type(self).fn(x1, x2), (np.float32(rng[0]), np.float32(rng[1])))
            return [self._shaped(out, x1, x2, y).astype(np.float32)]
        x1, x2 = np.asarray(inputs[0], np.int64), np.asarray(inputs[1], np.int64)
        out = clamp(self.quantized(node, g, x1, x2), rng)
        return [self._shaped(out, x1, x2, y).astype(np.int8 if y.dtype == "s8" else np.int16)]

    @staticmethod
    def _shaped(out, x1, x2, y):
        """The result broadcast to the full input broadcast shape, in the output tensor's shape."""
        return np.broadcast_to(out, np.broadcast_shapes(x1.shape, x2.shape)).reshape(y.shape)

    def quantized(self, node, g, x1, x2) -> np.ndarray:
        """Unclamped quantized output (int64 array) for integer inputs x1, x2 (broadcasting)."""
        raise NotImplementedError

    def macs(self, node, g):
        return g.tensor(node.outputs[0]).size
