"""VarHandle: TFLite VAR_HANDLE (resource variables; see tinymem/ops/_variables.py).

No IR node: the handle (a RESOURCE tensor, which gets no IR tensor) is recorded under its
`shared_name`; READ_VARIABLE / ASSIGN_VARIABLE then use the variable's persistent tensor.
"""

from tinymem.errors import ModelFormatError
from tinymem.ops import _variables
from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class VarHandle(Op):
    name = "var_handle"
    tflite = ("VAR_HANDLE",)

    def import_tflite(self, ctx, op):
        opts = ctx.options(op)
        name = opts.get("shared_name") or b""
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        if not name:
            raise ModelFormatError(f"node {ctx.node_name()}: VAR_HANDLE without a shared_name")
        _variables.register_handle(ctx, ctx.outputs(op)[0], name)

    def infer(self, node, g):
        raise NotImplementedError("var_handle never appears in the IR")
