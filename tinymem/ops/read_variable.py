"""ReadVariable: TFLite READ_VARIABLE.

IR: read_variable(variable) -> output. `variable` is the persistent tensor of a resource variable
(tinymem/ops/_variables.py); the output is a copy of its current bytes (same dtype and size; the
shape may differ, as in TFLM which only checks the byte count). No attributes.
C: a memcpy in the generated code (runtime_c/include/tinymem/variable.h).
"""

from tinymem.ops import _variables
from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class ReadVariable(Op):
    name = "read_variable"
    tflite = ("READ_VARIABLE",)
    header = "variable"

    def import_tflite(self, ctx, op):
        resource, out = ctx.inputs(op)[0], ctx.outputs(op)[0]
        var = _variables.variable(ctx, resource, out, assign=False)
        ctx.add_node(self.name, [var], [out])

    def infer(self, node, g):
        return [g.tensor(node.outputs[0]).shape]

    def reference(self, node, g, inputs):
        return [inputs[0].reshape(g.tensor(node.outputs[0]).shape).copy()]

    def emit(self, node, g, em):
        n = g.tensor(node.outputs[0]).nbytes
        return f"memcpy({em.ptr(node.outputs[0])}, {em.ptr(node.inputs[0])}, {n}u);"
