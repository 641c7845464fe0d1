"""Concatenation: TFLite CONCATENATION (any dtype, any rank, any axis); ONNX Concat.

IR: concatenation(x0, x1, ...) -> output, attrs
  axis: non-negative axis along which the inputs are joined (negative TFLite axes are wrapped)
All inputs have the output's dtype and rank and equal dimensions off the axis. Values are moved
bit for bit: quantized inputs must have exactly the output's scale and zero point (TFLM copies
raw values without requantizing; the converter always gives them equal quantization), otherwise
the node is rejected. No fused activation (TFLM rejects one too).
C: tm_concatenation_x8 moves bytes for every dtype.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op
from tinymem.ops.registry import register


def same_quant(a, b) -> bool:
    """Exactly the same per-tensor (or per-axis) quantization, or both unquantized."""
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return (a.quant.scale.shape == b.quant.scale.shape and np.array_equal(a.quant.scale, b.quant.scale)
            and np.array_equal(a.quant.zero_point, b.quant.zero_point))


def axis_chunks(shapes, axis: int, itemsize: int) -> tuple[int, list[int]]:
    """(outer, bytes per outer step of each tensor) for tensors joined along `axis`."""
    outer = int(np.prod(shapes[0][:axis], dtype=np.int64))
    return outer, [int(np.prod(s[axis:], dtype=np.int64)) * itemsize for s in shapes]


def check_join(where: str, parts, whole, axis: int) -> None:
    """Raises unless the `parts` tensors join along `axis` into `whole` without any rescaling."""
    for t in parts:
        if t.dtype != whole.dtype:
            raise UnsupportedOperatorError(f"{where}: dtype {t.dtype} of {t.name!r} differs from {whole.dtype}")
        if len(t.shape) != len(whole.shape) or any(
                a != b for k, (a, b) in enumerate(zip(t.shape, whole.shape)) if k != axis):
            raise UnsupportedOperatorError(f"{where}: shape {t.shape} of {t.name!r} does not fit {whole.shape}")
        if whole.dtype != "f32" and not same_quant(t, whole):
            raise UnsupportedOperatorError(
                f"{where}: quantization of {t.name!r} differs from {whole.name!r} (requantization "
                "is not supported; TFLM copies raw values)")
    if sum(t.shape[axis] for t in parts) != whole.shape[axis]:
        raise UnsupportedOperatorError(f"{where}: sizes along axis {axis} do not add up")


@register
class Concatenation(Op):
    name = "concatenation"
    tflite = ("CONCATENATION",)
    onnx = ("Concat",)

    def import_tflite(self, ctx, op):
        o = ctx.options(op)
        if o.get("fused_activation_function", "none") != "none":
            raise UnsupportedOperatorError(f"{ctx.node_name()}: CONCATENATION with a fused activation "
                                           f"({o['fused_activation_function']})")
        out = ctx.graph.tensor(ctx.outputs(op)[0])
        axis = int(o.get("axis", 0))
        axis = axis + len(out.shape) if axis < 0 else axis
        node = ctx.add_node(self.name, ctx.inputs(op), ctx.outputs(op)[:1], {"axis": axis})
        self._check(node, ctx.graph)

    def _check(self, node, g):
        out = g.tensor(node.outputs[0])
        if not 0 <= node.attrs["axis"] < max(len(out.shape), 1):
            raise UnsupportedOperatorError(f"operator concatenation (node {node.name}): axis out of range")
        check_join(f"operator concatenation (node {node.name})", [g.tensor(t) for t in node.inputs],
                   out, node.attrs["axis"])

    def import_onnx(self, ctx, node):
        """Concat: every input in the order of the first run-time input, axis remapped."""
        names = [n for n in node.input if n and 0 not in ctx.shape(n)]
        rank = ctx.rank(node.output[0])
        perm = next((ctx.perm(n) for n in names if not ctx.is_const(n)), tuple(range(rank)))
        y = ctx.output(node.output[0], perm)
        ins = [ctx.input(n, perm) for n in names]
        if len(ins) == 1:
            return ctx.add_node("identity", ins, [y])
        ctx.add_node(self.name, ins, [y], {"axis": perm.index(int(ctx.attr(node, "axis")) % rank)})

    def infer(self, node, g):
        shapes = [g.tensor(t).shape for t in node.inputs]
        axis = node.attrs["axis"]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return [tuple(out)]

    def reference(self, node, g, inputs):
        self._check(node, g)
        return [np.concatenate(inputs, axis=node.attrs["axis"])]

    def emit(self, node, g, em):
        self._check(node, g)
        out = g.tensor(node.outputs[0])
        shapes = [g.tensor(t).shape for t in node.inputs]
        outer, chunks = axis_chunks(shapes, node.attrs["axis"], out.nbytes // max(out.size, 1))
        if out.size == 0:
            return "/* empty tensor: nothing to move */"
        table = em.table(f"{node.name}_bytes", np.asarray(chunks, dtype=np.int32))
        p = em.params("tm_concat_params", node, f"{{{len(chunks)}, {outer}, {table}}}")
        ptrs = ", ".join(em.ptr(t) for t in node.inputs)
        call = em.call("tm_concatenation_x8", f"&{p}, ins_, {em.ptr(node.outputs[0])}")
        return f"{{\n    const void *const ins_[{len(chunks)}] = {{{ptrs}}};\n    {call}\n}}"
