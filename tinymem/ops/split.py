"""Split: TFLite SPLIT and SPLIT_V (any dtype, any rank, any axis); ONNX Split.

IR: split(input) -> output_0, output_1, ..., attrs
  axis:  non-negative axis along which the input is cut (negative TFLite axes are wrapped)
  sizes: list of the outputs' sizes along `axis` (sum = input size along axis)
Outputs have the input's dtype and quantization; values are moved bit for bit.
C: tm_split_x8 moves bytes for every dtype.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.concatenation import axis_chunks, check_join
from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class Split(Op):
    name = "split"
    tflite = ("SPLIT", "SPLIT_V")
    onnx = ("Split",)

    def import_tflite(self, ctx, op):
        g = ctx.graph
        ins, outs = ctx.inputs(op), ctx.outputs(op)
        data, axis_t = (ins[1], ins[0]) if ctx.opcode == "SPLIT" else (ins[0], ins[2])
        axis = g.const(axis_t)
        if axis is None:
            raise UnsupportedOperatorError(f"{ctx.node_name()}: {ctx.opcode} with a non-constant axis")
        rank = len(g.tensor(data).shape)
        axis = int(np.asarray(axis).reshape(-1)[0])
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank:
            raise UnsupportedOperatorError(f"{ctx.node_name()}: axis out of range for rank {rank}")
        sizes = [g.tensor(t).shape[axis] for t in outs]
        node = ctx.add_node(self.name, [data], outs, {"axis": axis, "sizes": sizes})
        self._check(node, g)

    def _check(self, node, g):
        x = g.tensor(node.inputs[0])
        outs = [g.tensor(t) for t in node.outputs]
        where = f"operator split (node {node.name})"
        if [t.shape[node.attrs["axis"]] for t in outs] != list(node.attrs["sizes"]):
            raise UnsupportedOperatorError(f"{where}: output sizes do not match attribute sizes")
        check_join(where, outs, x, node.attrs["axis"])

    def import_onnx(self, ctx, node):
        """Split by constant sizes (input from opset 13, attribute before), or into equal parts
        (num_outputs from opset 18: the last part takes the remainder)."""
        name = node.input[0]
        rank = ctx.rank(name)
        axis = int(ctx.attr(node, "axis", 0)) % rank
        dim = ctx.shape(name)[axis]
        outs = list(node.output)
        if ctx.opset >= 13 and len(node.input) > 1 and node.input[1]:
            if ctx.const(node.input[1]) is None:
                ctx.unsupported(node, "non-constant split sizes")
            sizes = [int(v) for v in np.asarray(ctx.const(node.input[1])).reshape(-1)]
        elif ctx.opset < 13 and ctx.attr(node, "split") is not None:
            sizes = [int(v) for v in ctx.attr(node, "split")]
        else:
            n = int(ctx.attr(node, "num_outputs", len(outs)))
            part = -(-dim // n)
            sizes = [part] * (n - 1) + [dim - part * (n - 1)]
        perm = ctx.perm(name)
        ctx.add_node(self.name, [ctx.input(name)], [ctx.output(o, perm) for o in outs],
                     {"axis": perm.index(axis), "sizes": sizes})

    def infer(self, node, g):
        shape = list(g.tensor(node.inputs[0]).shape)
        axis = node.attrs["axis"]
        return [tuple(shape[:axis] + [s] + shape[axis + 1:]) for s in node.attrs["sizes"]]

    def reference(self, node, g, inputs):
        cuts = np.cumsum(node.attrs["sizes"])[:-1]
        return [np.ascontiguousarray(p) for p in np.split(inputs[0], cuts, axis=node.attrs["axis"])]

    def emit(self, node, g, em):
        self._check(node, g)
        x = g.tensor(node.inputs[0])
        if x.size == 0:
            return "/* empty tensor: nothing to move */"
        shapes = [g.tensor(t).shape for t in node.outputs]
        outer, chunks = axis_chunks(shapes, node.attrs["axis"], x.nbytes // x.size)
        table = em.table(f"{node.name}_bytes", np.asarray(chunks, dtype=np.int32))
        p = em.params("tm_split_params", node, f"{{{len(chunks)}, {outer}, {table}}}")
        ptrs = ", ".join(em.ptr(t) for t in node.outputs)
        call = em.call("tm_split_x8", f"&{p}, {em.ptr(node.inputs[0])}, outs_")
        return f"{{\n    void *const outs_[{len(chunks)}] = {{{ptrs}}};\n    {call}\n}}"
