"""Sub: TFLite SUB (NumPy broadcasting up to rank 6, fused activation).

IR: sub(input1, input2) {act} -> output = input1 - input2; attributes and broadcasting as in
tinymem/ops/_elementwise.py. Integer arithmetic as ADD (tinymem/ops/add.py) with the scaled
second input subtracted. The int8 kernel is tm_add_s8 with a negated input2 table (exact:
s1 + (-s2) == s1 - s2 in int32, no overflow), the int16 kernel tm_add_s16 with subtract = 1.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops._elementwise import BinaryOp
from tinymem.ops.add import add_sub_quantized, emit_add_sub
from tinymem.ops.registry import register


@register
class Sub(BinaryOp):
    name = "sub"
    tflite = ("SUB",)
    onnx = ("Sub",)
    fn = np.subtract

    def quantized(self, node, g, x1, x2):
        return add_sub_quantized(node, g, x1, x2, subtract=True)

    def emit(self, node, g, em):
        self._check(node, g)
        return emit_add_sub(node, g, em, subtract=True)
