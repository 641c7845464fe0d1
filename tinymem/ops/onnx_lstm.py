"""ONNX LSTM (float32): forward, reverse or bidirectional, peepholes, input_forget, clip, any
activation functions. (TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM is the IR op `lstm`,
tinymem/ops/lstm.py: a different gate order, state handling and integer semantics.)

IR: onnx_lstm(x, w, r, b, seq_lens, h0, c0, p) -> (y, y_h, y_c); inputs, outputs and attributes
(hidden_size, direction, layout, clip, activations) as described in tinymem/ops/_recurrent.py,
plus
  input_forget: 0 | 1 (couple the gates: f = 1 - i)
Per step (f: Sigmoid, g: Tanh, h: Tanh by default; gate pre-activations clipped when clip > 0,
as onnxruntime: not the cell state before h):
  i = f(Wi x + Ri h + Wbi + Rbi + Pi * c)
  f = f(Wf x + Rf h + Wbf + Rbf + Pf * c)
  g = g(Wc x + Rc h + Wbc + Rbc)
  c = f * c + i * g
  o = f(Wo x + Ro h + Wbo + Rbo + Po * c)
  h = o * h(c)
C: tm_onnx_lstm_f32 (runtime_c/include/tinymem/recurrent.h); Wb + Rb added at compile time;
scratch 4H floats.
"""

from __future__ import annotations

import numpy as np

from tinymem.ops import _recurrent as rec
from tinymem.ops.op import Op
from tinymem.ops.registry import register

F32 = np.float32


def _bias(b: np.ndarray | None, d: int, h: int) -> np.ndarray:
    if b is None:
        return np.zeros((d, 4 * h), F32)
    b = np.asarray(b, dtype=F32).reshape(d, 8 * h)
    return (b[:, :4 * h] + b[:, 4 * h:]).astype(F32)


@register
class ONNXLSTM(Op):
    name = "onnx_lstm"
    onnx = ("LSTM",)
    header = "recurrent"

    def import_onnx(self, ctx, node):
        forget = int(ctx.attr(node, "input_forget", 0))
        rec.import_recurrent(self.name, ctx, node, 4, ("Sigmoid", "Tanh", "Tanh"), {"input_forget": int(forget != 0)})

    def infer(self, node, g):
        return rec.infer(node, g, 2)

    def macs(self, node, g):
        return rec.macs(node, g, 4)

    def scratch_bytes(self, node, g):
        return 16 * rec.dims(node, g)[3]

    def reference(self, node, g, inputs):
        rec.check(node, g)
        _, _, _, h, d = rec.dims(node, g)
        w, r = np.asarray(inputs[1], F32), np.asarray(inputs[2], F32)
        bias = _bias(inputs[3], d, h)
        peep = None if len(inputs) < 8 or inputs[7] is None else np.asarray(inputs[7], F32).reshape(d, 3 * h)
        acts, limit = node.attrs["activations"], node.attrs["clip"]
        forget = bool(node.attrs.get("input_forget", 0))

        def step(di, xt, states):
            hp, c = states
            pre = (bias[di] + w[di] @ xt) + r[di] @ hp
            gi, go, gf, gc = pre[:h], pre[h:2 * h], pre[2 * h:3 * h], pre[3 * h:]
            if peep is not None:
                gi = gi + peep[di, :h] * c
                gf = gf + peep[di, 2 * h:] * c
            f_act, g_act, h_act = acts[3 * di:3 * di + 3]
            gi = rec.activate(f_act, rec.clip(gi, limit))
            gf = (F32(1) - gi) if forget else rec.activate(f_act, rec.clip(gf, limit))
            gc = rec.activate(g_act, rec.clip(gc, limit))
            c = (c * gf + gi * gc).astype(F32)
            if peep is not None:
                go = go + peep[di, h:2 * h] * c
            go = rec.activate(f_act, rec.clip(go, limit))
            return [(go * rec.activate(h_act, c)).astype(F32), c]

        return rec.run(node, g, inputs, 2, step)

    def emit(self, node, g, em):
        rec.check(node, g)
        _, _, _, h, d = rec.dims(node, g)
        b = node.input(3)
        bias = em.table(f"{node.name}_bias", _bias(g.const(b), d, h)) if b else "NULL"
        acts = rec.c_acts(node, 3)
        p = em.params("tm_onnx_lstm_params", node,
                      f"{{{rec.c_dims(node, g)}, {em.ptr(node.inputs[1])}, {em.ptr(node.inputs[2])}, {bias}, "
                      f"{rec.optional_ptr(em, node, 7)}, {{{{{acts[0]}}}, {{{acts[1]}}}}}, "
                      f"{int(bool(node.attrs.get('input_forget', 0)))}}}")
        scratch = em.scratch(node, size_query=f"tm_onnx_lstm_scratch_size(&{p})")
        return em.call("tm_onnx_lstm_f32",
                       f"&{p}, {em.ptr(node.inputs[0])}, {rec.optional_ptr(em, node, 4)}, "
                       f"{rec.optional_ptr(em, node, 5)}, {rec.optional_ptr(em, node, 6)}, "
                       f"{em.ptr(node.outputs[0])}, {em.ptr(node.outputs[1])}, {em.ptr(node.outputs[2])}, {scratch}")
