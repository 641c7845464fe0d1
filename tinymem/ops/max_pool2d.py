"""MaxPool2D: TFLite MAX_POOL_2D (int8, int16, float32).

IR: max_pool2d(input[N, H, W, C]) -> output[N, OH, OW, C], NHWC, with the attrs of
average_pool2d (see tinymem/ops/average_pool2d.py):
  kernel [kh, kw], strides [sh, sw], pads [top, left, bottom, right] (explicit), act.
Each output is the maximum of the in-image taps of its window (off-image taps are skipped), then
clamped by the fused activation. Integer inputs and outputs must share their quantization (TFLM
requires it), so no rescaling happens.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops.average_pool2d import Pool2D
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range, clamp


@register
class MaxPool2D(Pool2D):
    name = "max_pool2d"
    tflite = ("MAX_POOL_2D",)
    onnx = ("MaxPool",)
    kernel_prefix = "tm_max_pool2d"

    def reference(self, node, g, inputs):
        self._check(node, g)
        x = inputs[0]
        y = g.tensor(node.outputs[0])
        rng = activation_range(node.attrs["act"], y)
        lowest = -np.inf if x.dtype == np.float32 else np.iinfo(x.dtype).min
        m = None
        for vals, _ in self._taps(node, g, x, lowest):
            m = vals.copy() if m is None else np.maximum(m, vals)
        if x.dtype == np.float32:
            rng = (np.float32(rng[0]), np.float32(rng[1]))
        return [clamp(m, rng).astype(x.dtype)]
