"""Reshape and its relatives (Squeeze, ExpandDims; ONNX Flatten/Squeeze/Unsqueeze): no copy.

IR: reshape(input) with the output shape given by the output tensor. The output is an alias of
the input buffer, so the memory planner gives both the same offset and no code is emitted.
"""

from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class Reshape(Op):
    name = "reshape"
    tflite = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
    onnx = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")
    alias = True

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        """Reshape, Flatten, Squeeze, Unsqueeze: the shape comes from shape inference; the input
        is read in the ONNX order (a layout-sensitive reshape of an NHWC tensor transposes first)."""
        name = node.input[0]
        x = ctx.input(name, tuple(range(ctx.rank(name))))
        ctx.add_node(self.name, [x], [ctx.output(node.output[0])])

    def infer(self, node, g):
        return [g.tensor(node.outputs[0]).shape]

    def reference(self, node, g, inputs):
        return [inputs[0].reshape(g.tensor(node.outputs[0]).shape)]

    def emit(self, node, g, em):
        return ""
