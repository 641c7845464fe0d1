"""AssignVariable: TFLite ASSIGN_VARIABLE.

IR: assign_variable(value) -> variable. The output is the persistent tensor of a resource
variable (tinymem/ops/_variables.py), overwritten with the bytes of `value`. Readers of the
variable that come later in the node order see the new value, earlier ones the value of the
previous run. Inference, reference and C: `_variables.VariableCopy`.
"""

from tinymem.ops import _variables
from tinymem.ops.registry import register


@register
class AssignVariable(_variables.VariableCopy):
    name = "assign_variable"
    tflite = ("ASSIGN_VARIABLE",)

    def import_tflite(self, ctx, op):
        resource, value = ctx.inputs(op)[:2]
        var = _variables.variable(ctx, resource, value, assign=True)
        ctx.add_node(self.name, [value], [var])
