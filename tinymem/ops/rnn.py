"""RNN: ONNX RNN (float32), forward, reverse or bidirectional.

IR: rnn(x, w, r, b, seq_lens, h0) -> (y, y_h); inputs, outputs and attributes (hidden_size,
direction, layout, clip, activations) as described in tinymem/ops/_recurrent.py. Per step:
  h = f(W x_t + R h + Wb + Rb)            (f: Tanh by default; pre-activation clipped when clip > 0)
C: tm_rnn_f32 (runtime_c/include/tinymem/recurrent.h); the biases Wb + Rb are added at compile
time; scratch H floats.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops import _recurrent as rec
from tinymem.ops.op import Op
from tinymem.ops.registry import register

F32 = np.float32


def _bias(b: np.ndarray | None, d: int, h: int) -> np.ndarray:
    if b is None:
        return np.zeros((d, h), F32)
    b = np.asarray(b, dtype=F32).reshape(d, 2 * h)
    return (b[:, :h] + b[:, h:]).astype(F32)


@register
class RNN(Op):
    name = "rnn"
    onnx = ("RNN",)
    header = "recurrent"

    def import_onnx(self, ctx, node):
        rec.import_recurrent(self.name, ctx, node, 1, ("Tanh",), {})

    def infer(self, node, g):
        return rec.infer(node, g, 1)

    def macs(self, node, g):
        return rec.macs(node, g, 1)

    def scratch_bytes(self, node, g):
        return 4 * rec.dims(node, g)[3]

    def reference(self, node, g, inputs):
        rec.check(node, g)
        _, _, _, h, d = rec.dims(node, g)
        w, r = np.asarray(inputs[1], F32), np.asarray(inputs[2], F32)
        bias = _bias(inputs[3], d, h)
        acts, limit = node.attrs["activations"], node.attrs["clip"]

        def step(di, xt, states):
            pre = (bias[di] + w[di] @ xt) + r[di] @ states[0]
            return [rec.activate(acts[di], rec.clip(pre, limit))]

        return rec.run(node, g, inputs, 1, step)

    def emit(self, node, g, em):
        rec.check(node, g)
        _, _, _, h, d = rec.dims(node, g)
        b = node.input(3)
        bias = em.table(f"{node.name}_bias", _bias(g.const(b), d, h)) if b else "NULL"
        acts = rec.c_acts(node, 1)
        p = em.params("tm_rnn_params", node,
                      f"{{{rec.c_dims(node, g)}, {em.ptr(node.inputs[1])}, {em.ptr(node.inputs[2])}, {bias}, "
                      f"{{{acts[0]}, {acts[1]}}}}}")
        scratch = em.scratch(node, size_query=f"tm_rnn_scratch_size(&{p})")
        return em.call("tm_rnn_f32", f"&{p}, {em.ptr(node.inputs[0])}, {rec.optional_ptr(em, node, 4)}, "
                                     f"{rec.optional_ptr(em, node, 5)}, {em.ptr(node.outputs[0])}, "
                                     f"{em.ptr(node.outputs[1])}, {scratch}")
