"""Identity: ONNX Identity, and Dropout in inference (ratio ignored, no mask output).

IR: identity(input) -> output of the same shape and dtype. compiler/remove_identities.py drops it
unless it connects a graph input to a graph output; then it is an alias (no copy, no code).
"""

from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class Identity(Op):
    name = "identity"
    onnx = ("Identity", "Dropout")
    alias = True

    def import_onnx(self, ctx, node):
        if node.op_type == "Dropout":
            if len(node.output) > 1 and node.output[1]:
                ctx.unsupported(node, "the mask output")
            mode = ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if len(node.input) > 2 and node.input[2] and (mode is None or bool(mode.reshape(-1)[0])):
                ctx.unsupported(node, "training mode")
        ctx.unary(node, self.name)

    def infer(self, node, g):
        return [g.tensor(node.inputs[0]).shape]

    def reference(self, node, g, inputs):
        return [inputs[0].copy()]

    def emit(self, node, g, em):
        return ""
