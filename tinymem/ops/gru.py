"""GRU: ONNX GRU (float32), forward, reverse or bidirectional, both linear_before_reset variants.

IR: gru(x, w, r, b, seq_lens, h0) -> (y, y_h); inputs, outputs and attributes (hidden_size,
direction, layout, clip, activations) as described in tinymem/ops/_recurrent.py, plus
  linear_before_reset: 0 | 1
Per step (f: Sigmoid, g: Tanh by default; every pre-activation clipped when clip > 0):
  z = f(Wz x + Rz h + Wbz + Rbz);  r = f(Wr x + Rr h + Wbr + Rbr)
  n = g(Wh x + Rh (r * h) + Wbh + Rbh)            linear_before_reset 0
  n = g(Wh x + Wbh + r * (Rh h + Rbh))            linear_before_reset 1
  h = (1 - z) * n + z * h
C: tm_gru_f32 (runtime_c/include/tinymem/recurrent.h); Wb + Rb added at compile time (Rbh kept
apart with linear_before_reset); scratch 4H floats.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops import _recurrent as rec
from tinymem.ops.op import Op
from tinymem.ops.registry import register

F32 = np.float32


def _biases(b: np.ndarray | None, d: int, h: int, lbr: bool) -> tuple[np.ndarray, np.ndarray]:
    """([D, 3H] bias added to the pre-activations, [D, H] Rbh used inside r * (...))."""
    if b is None:
        return np.zeros((d, 3 * h), F32), np.zeros((d, h), F32)
    b = np.asarray(b, dtype=F32).reshape(d, 6 * h)
    wb, rb = b[:, :3 * h], b[:, 3 * h:]
    bias = (wb + rb).astype(F32)
    if lbr:
        bias[:, 2 * h:] = wb[:, 2 * h:]
        return bias, rb[:, 2 * h:].copy()
    return bias, np.zeros((d, h), F32)


@register
class GRU(Op):
    name = "gru"
    onnx = ("GRU",)
    header = "recurrent"

    def import_onnx(self, ctx, node):
        lbr = int(ctx.attr(node, "linear_before_reset", 0))
        rec.import_recurrent(self.name, ctx, node, 3, ("Sigmoid", "Tanh"), {"linear_before_reset": int(lbr != 0)})

    def infer(self, node, g):
        return rec.infer(node, g, 1)

    def macs(self, node, g):
        return rec.macs(node, g, 3)

    def scratch_bytes(self, node, g):
        return 16 * rec.dims(node, g)[3]

    def reference(self, node, g, inputs):
        rec.check(node, g)
        _, _, _, h, d = rec.dims(node, g)
        lbr = bool(node.attrs.get("linear_before_reset", 0))
        w, r = np.asarray(inputs[1], F32), np.asarray(inputs[2], F32)
        bias, bias_rh = _biases(inputs[3], d, h, lbr)
        acts, limit = node.attrs["activations"], node.attrs["clip"]

        def step(di, xt, states):
            hp = states[0]
            zr = (bias[di, :2 * h] + w[di, :2 * h] @ xt) + r[di, :2 * h] @ hp
            zr = rec.activate(acts[2 * di], rec.clip(zr, limit))
            z, rg = zr[:h], zr[h:]
            wh, rh = w[di, 2 * h:], r[di, 2 * h:]
            if lbr:
                n = (bias[di, 2 * h:] + wh @ xt) + rg * (bias_rh[di] + rh @ hp)
            else:
                n = (bias[di, 2 * h:] + wh @ xt) + rh @ (rg * hp)
            n = rec.activate(acts[2 * di + 1], rec.clip(n, limit))
            return [((F32(1) - z) * n + z * hp).astype(F32)]

        return rec.run(node, g, inputs, 1, step)

    def emit(self, node, g, em):
        rec.check(node, g)
        _, _, _, h, d = rec.dims(node, g)
        lbr = int(bool(node.attrs.get("linear_before_reset", 0)))
        b = node.input(3)
        bias, bias_rh = "NULL", "NULL"
        if b:
            tb, trh = _biases(g.const(b), d, h, bool(lbr))
            bias = em.table(f"{node.name}_bias", tb)
            bias_rh = em.table(f"{node.name}_bias_rh", trh) if lbr else "NULL"
        acts = rec.c_acts(node, 2)
        p = em.params("tm_gru_params", node,
                      f"{{{rec.c_dims(node, g)}, {em.ptr(node.inputs[1])}, {em.ptr(node.inputs[2])}, {bias}, "
                      f"{bias_rh}, {{{{{acts[0]}}}, {{{acts[1]}}}}}, {lbr}}}")
        scratch = em.scratch(node, size_query=f"tm_gru_scratch_size(&{p})")
        return em.call("tm_gru_f32", f"&{p}, {em.ptr(node.inputs[0])}, {rec.optional_ptr(em, node, 4)}, "
                                     f"{rec.optional_ptr(em, node, 5)}, {em.ptr(node.outputs[0])}, "
                                     f"{em.ptr(node.outputs[1])}, {scratch}")
