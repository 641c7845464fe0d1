"""Shared machinery of the simple float32 elementwise math operators (sqrt, log, neg, pow). Not
an operator (the leading underscore keeps the registry from importing it as one).

`FloatUnary` is a unary float32 op: ONNX / TFLite import of one input and one output, same
shape, numpy reference `fn` (computed in float32), C kernel `kernel(size, input, output)` from
runtime_c/include/tinymem/float_math.h, in place allowed.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops._unary import emit_f32, io, same_shape
from tinymem.ops.op import Op


def check_f32(node, g) -> None:
    """Every input and output of the node must be float32."""
    from tinymem.errors import UnsupportedOperatorError

    dtypes = [g.tensor(n).dtype for n in list(node.inputs) + list(node.outputs) if n]
    if any(d != "f32" for d in dtypes):
        raise UnsupportedOperatorError(f"operator {node.op} (node {node.name}): dtypes {', '.join(dtypes)} "
                                       "are not supported (float32 only)")


class FloatUnary(Op):
    header = "float_math"
    inplace_inputs = (0,)  # elementwise kernels: may run in place
    #: numpy function (float32 in, float32 out)
    fn = None
    #: C kernel name
    kernel = ""

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        if ctx.dtype(node.input[0]) != "f32":
            ctx.unsupported(node, f"{ctx.dtype(node.input[0])} input (float32 only)")
        ctx.unary(node, self.name)

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        check_f32(node, g)
        with np.errstate(all="ignore"):
            return [np.asarray(type(self).fn(np.asarray(inputs[0], dtype=np.float32)), dtype=np.float32)]

    def macs(self, node, g):
        return io(node, g)[1].size

    def emit(self, node, g, em):
        check_f32(node, g)
        return emit_f32(node, g, em, self.kernel)
