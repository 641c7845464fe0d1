"""ReadVariable: TFLite READ_VARIABLE.

IR: read_variable(variable) -> output. `variable` is the persistent tensor of a resource variable
(tinymem/ops/_variables.py); the output is a copy of its current bytes (the shape may differ, as
in TFLM which only checks the byte count). Inference, reference and C: `_variables.VariableCopy`.
"""

from tinymem.ops import _variables
from tinymem.ops.registry import register


@register
class ReadVariable(_variables.VariableCopy):
    name = "read_variable"
    tflite = ("READ_VARIABLE",)

    def import_tflite(self, ctx, op):
        resource, out = ctx.inputs(op)[0], ctx.outputs(op)[0]
        var = _variables.variable(ctx, resource, out, assign=False)
        ctx.add_node(self.name, [var], [out])
