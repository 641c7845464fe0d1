"""AssignVariable: TFLite ASSIGN_VARIABLE.

IR: assign_variable(value) -> variable. The output is the persistent tensor of a resource
variable (tinymem/ops/_variables.py), overwritten with the bytes of `value` (same dtype and byte
size). Readers of the variable that come later in the node order see the new value, earlier ones
the value of the previous run. No attributes.
C: a memcpy in the generated code (runtime_c/include/tinymem/variable.h).
"""

from tinymem.ops import _variables
from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class AssignVariable(Op):
    name = "assign_variable"
    tflite = ("ASSIGN_VARIABLE",)
    header = "variable"

    def import_tflite(self, ctx, op):
        resource, value = ctx.inputs(op)[:2]
        var = _variables.variable(ctx, resource, value, assign=True)
        ctx.add_node(self.name, [value], [var])

    def infer(self, node, g):
        return [g.tensor(node.outputs[0]).shape]

    def reference(self, node, g, inputs):
        return [inputs[0].reshape(g.tensor(node.outputs[0]).shape).copy()]

    def emit(self, node, g, em):
        n = g.tensor(node.outputs[0]).nbytes
        return f"memcpy({em.ptr(node.outputs[0])}, {em.ptr(node.inputs[0])}, {n}u);"
