"""LSTM: TFLite UNIDIRECTIONAL_SEQUENCE_LSTM (the standard, Keras-style LSTM that TFLM runs).

IR: lstm(x, w_i, w_f, w_c, w_o, r_i, r_f, r_c, r_o, b_i, b_f, b_c, b_o, h, c) -> (y, h', c')
  x:    [batches, steps, n_input], or [steps, batches, n_input] when time_major
  w_g:  input weights of gate g (i input, f forget, c cell, o output), [n_cell, n_input]
  r_g:  recurrent weights, [n_cell, n_cell]
  b_g:  gate biases, [n_cell]
  h, c: hidden and cell state at the start, [batches, n_cell] (any shape of that size)
  y:    the hidden state after every step, laid out like x with n_cell features
  h', c': hidden and cell state after the last step. In TFLite models h and c are variable
        tensors: persistent, and h' / c' are the same tensors (updated in place).
attrs:
  time_major: bool (default False)
  cell_clip:  float >= 0; the cell state is clipped to [-cell_clip, cell_clip] (0: no clip)
Per step, with the previous hidden state h (TFLite's fused_activation_function must be TANH,
the only cell activation a TFLite file can express that TFLM runs):
  g_k = act_k(w_k x_t + b_k + r_k h)   (sigmoid for i, f, o; tanh for c)
  c = clip(g_f * c + g_i * g_c);  h = g_o * tanh(c);  y_t = h
Not supported (TFLM rejects them too): CIFG (no input gate), peephole, projection, layer norm.

int8 (TFLM's integer kernel, bit-exact): int8 x, h, y; symmetric per-tensor int8 weights; int32
biases; int16 cell state whose scale is (about) a power of two 2^p. Each gate is two int8 fully
connected layers into int16 at scale 2^-12 (Q3.12), added with int16 saturation, then TFLM's
int16 sigmoid / tanh lookup-table interpolation (output Q0.15). The cell update and the hidden
state are int16 x int16 -> int16 / int8 multiplications with their own multipliers.
float32: the same steps in float (sigmoid with TFLM's cut-offs).
C: tm_lstm_s8 / tm_lstm_f32 (runtime_c/include/tinymem/lstm.h); the four gates' weights are
interleaved (row 4 j + k = gate k of cell j) and transposed into one table per kind, and for int8
the input and hidden zero point terms are folded into the biases.
"""

from __future__ import annotations

import numpy as np

from tinymem.codegen.cnames import c_float
from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp
from tinymem.quant.multiplier import checked_log2, quantize_multiplier

GATES = "ifco"  # IR input order of the weights / biases
# TFLite input slots: 1-4 input weights (i f c o), 5-8 recurrent, 12-15 biases, 18 h, 19 c
_TFLITE_SLOTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 18, 19]
_UNSUPPORTED_SLOTS = {9: "peephole", 10: "peephole", 11: "peephole", 16: "projection", 17: "projection",
                      20: "layer norm", 21: "layer norm", 22: "layer norm", 23: "layer norm"}

#: TFLM's sigmoid_table_uint16 (tensorflow/lite/kernels/internal/common.h): sigmoid(k / 24) in
#: Q0.16, as published (not exactly reproducible by a formula). The C twin is in tm_lstm_s8.c.
SIGMOID_TABLE = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535], dtype=np.int64)
GATE_SCALE = 2.0 ** -12  # Q3.12: the fully connected outputs (activation inputs)
ACT_SCALE = 2.0 ** -15  # Q0.15: the activation outputs


def sigmoid_s16(x) -> np.ndarray:
    """TFLM reference_integer_ops::Logistic on int16 Q3.12 input (multiplier 0, shift 0)."""
    v = np.asarray(x, dtype=np.int64) * 3
    a = np.abs(v)
    uh = a >> 9
    idx = np.minimum(uh, 254)
    ua, ub = SIGMOID_TABLE[idx], SIGMOID_TABLE[idx + 1]
    r = np.where(uh >= 255, 0x7FFF << 10, (ua << 9) + (a & 0x1FF) * (ub - ua))
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int16)


def tanh_scaling(scale_power: int) -> tuple[int, int]:
    """TFLM lstm_internal::Tanh: (input_multiplier, input_left_shift) for an int16 input at scale
    2^scale_power, as passed to reference_integer_ops::Tanh."""
    shift = 15 + scale_power - 3
    return (3, -shift) if shift < 0 else (0, shift)


def tanh_s16(x, multiplier: int, left_shift: int) -> np.ndarray:
    """TFLM reference_integer_ops::Tanh on int16 input (output Q0.15)."""
    if multiplier == 0:
        multiplier, left_shift = 3 << left_shift, 0
    rnd = (1 << (left_shift - 1)) if left_shift > 0 else 0
    v = (np.asarray(x, dtype=np.int64) * multiplier + rnd) >> left_shift
    a = np.abs(v)
    uh = a >> 8
    idx = np.minimum(uh, 254)
    ua, ub = SIGMOID_TABLE[idx], SIGMOID_TABLE[idx + 1]
    r = np.where(uh >= 255, 0xFFFF << 8, (ua << 8) + (a & 0xFF) * (ub - ua))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16)


def _sat16(v) -> np.ndarray:
    return np.clip(v, -32768, 32767)


def _mbqm(v, mult_shift) -> np.ndarray:
    return fp.multiply_by_quantized_multiplier(v, mult_shift[0], mult_shift[1]).astype(np.int64)


def _mul_params(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    """CreateInterGateMulParams: QuantizeMultiplier(double(s1) * double(s2) / double(s_out))."""
    return quantize_multiplier(float(np.float32(s1)) * float(np.float32(s2)) / float(np.float32(s_out)))


def _sigmoid_f32(x):
    from tinymem.ops.logistic import logistic_f32

    return logistic_f32(x)


class _Quant:
    """The integer parameters TFLM's Prepare derives, from the node's tensors."""

    def __init__(self, node, g):
        t = [g.tensor(n) for n in node.inputs]
        x, h, c = t[0], t[13], t[14]
        self.in_zp, self.h_zp = x.zero_point, h.zero_point
        self.fc_in = [quantize_multiplier(float(np.float32(x.scale)) * float(np.float32(w.scale)) / GATE_SCALE)
                      for w in t[1:5]]
        self.fc_rec = [quantize_multiplier(float(np.float32(h.scale)) * float(np.float32(r.scale)) / GATE_SCALE)
                       for r in t[5:9]]
        cs = float(np.float32(c.scale))
        self.forget = _mul_params(ACT_SCALE, cs, cs)
        self.update = _mul_params(ACT_SCALE, ACT_SCALE, cs)
        self.hidden = _mul_params(ACT_SCALE, ACT_SCALE, h.scale)
        _, self.cell_power = checked_log2(c.scale)
        self.tanh = tanh_scaling(self.cell_power)
        if not 0 <= self.tanh[1] <= 14:
            raise UnsupportedOperatorError(f"operator lstm (node {node.name}): cell state scale {c.scale:g} "
                                           "(about 2^p with -26 <= p <= 2 is supported)")
        clip = float(np.float32(node.attrs.get("cell_clip", 0.0)))
        self.clip = int(min(max(clip / cs, -32768.0), 32767.0)) if clip > 0 else 0


def _check(node, g):
    where = f"operator lstm (node {node.name})"
    t = [g.tensor(n) if n else None for n in node.inputs]
    if len(t) != 15 or any(v is None for v in t):
        raise UnsupportedOperatorError(f"{where}: needs all 4 gates' weights and biases and both states "
                                       "(CIFG is not supported)")
    x, h, c, y = t[0], t[13], t[14], g.tensor(node.outputs[0])
    if x.dtype == "f32":
        if not all(v.dtype == "f32" for v in t + [y]):
            raise UnsupportedOperatorError(f"{where}: float LSTM with non-float weights (hybrid)")
        return
    if x.dtype != "s8" or h.dtype != "s8" or y.dtype != "s8" or c.dtype != "s16":
        raise UnsupportedOperatorError(f"{where}: {x.dtype} input / {h.dtype} hidden / {c.dtype} cell "
                                       "(int8 needs int8 input and hidden state and an int16 cell state)")
    for w in t[1:9]:
        if w.dtype != "s8" or w.quant is None or w.quant.per_channel or w.zero_point != 0:
            raise UnsupportedOperatorError(f"{where}: weights {w.name!r} must be symmetric per-tensor int8")
    for b in t[9:13]:
        if b.dtype != "s32":
            raise UnsupportedOperatorError(f"{where}: bias {b.name!r} must be int32")
    if c.quant is None or c.zero_point != 0:
        raise UnsupportedOperatorError(f"{where}: the int16 cell state must be symmetric")


def _dims(node, g) -> tuple[int, int, int, int, bool]:
    x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
    tm = bool(node.attrs.get("time_major", False))
    steps, batches = (x.shape[0], x.shape[1]) if tm else (x.shape[1], x.shape[0])
    return batches, steps, x.shape[2], w.shape[0], tm


@register
class LSTM(Op):
    name = "lstm"
    tflite = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)

    def import_tflite(self, ctx, op):
        where = f"UNIDIRECTIONAL_SEQUENCE_LSTM (node {ctx.node_name()})"
        ins = ctx.inputs(op)
        ins += [""] * (24 - len(ins))
        for slot, what in _UNSUPPORTED_SLOTS.items():
            if ins[slot]:
                raise UnsupportedOperatorError(f"{where}: {what} LSTM is not supported (TFLM rejects it)")
        opts = ctx.options(op)
        if float(opts.get("proj_clip", 0.0)) > 0:
            raise UnsupportedOperatorError(f"{where}: projection clipping is not supported")
        act = opts.get("fused_activation_function", "tanh")
        if act != "tanh":
            raise UnsupportedOperatorError(f"{where}: cell activation {act!r} is not supported (TFLM: tanh)")
        h, c = ins[18], ins[19]
        g = ctx.graph
        for s in (h, c):
            if not s or not g.tensor(s).persistent:
                raise UnsupportedOperatorError(f"{where}: the hidden and cell states must be variable tensors")
        node = ctx.add_node(self.name, [ins[k] for k in _TFLITE_SLOTS], ctx.outputs(op)[:1] + [h, c],
                            {"time_major": bool(opts.get("time_major", False)),
                             "cell_clip": float(opts.get("cell_clip", 0.0))})
        _check(node, g)

    def infer(self, node, g):
        b, t, _, n, tm = _dims(node, g)
        return [(t, b, n) if tm else (b, t, n), g.tensor(node.inputs[13]).shape, g.tensor(node.inputs[14]).shape]

    def macs(self, node, g):
        b, t, i, n, _ = _dims(node, g)
        return b * t * 4 * n * (i + n)

    # -- reference ------------------------------------------------------------------------------
    def reference(self, node, g, inputs):
        _check(node, g)
        b, steps, n_in, n, tm = _dims(node, g)
        x = np.asarray(inputs[0])
        x = (x.reshape(steps, b, n_in).transpose(1, 0, 2) if tm else x.reshape(b, steps, n_in))
        h = np.asarray(inputs[13]).reshape(b, n).copy()
        c = np.asarray(inputs[14]).reshape(b, n).copy()
        y = np.zeros((b, steps, n), dtype=h.dtype)
        step = self._step_f32 if x.dtype == np.float32 else self._step_s8
        q = None if x.dtype == np.float32 else _Quant(node, g)
        for bi in range(b):
            for t in range(steps):
                h[bi], c[bi] = step(node, inputs, q, x[bi, t], h[bi], c[bi])
                y[bi, t] = h[bi]
        if tm:
            y = y.transpose(1, 0, 2)
        shapes = self.infer(node, g)
        return [np.ascontiguousarray(y).reshape(shapes[0]), h.reshape(shapes[1]), c.reshape(shapes[2])]

    @staticmethod
    def _step_s8(node, inputs, q, x, h, c):
        x64, h64 = x.astype(np.int64) - q.in_zp, h.astype(np.int64) - q.h_zp
        gates = []
        for k in range(4):
            w, r, bias = (np.asarray(inputs[1 + k], np.int64), np.asarray(inputs[5 + k], np.int64),
                          np.asarray(inputs[9 + k], np.int64))
            a = _sat16(_mbqm(fp._wrap32(w @ x64 + bias), q.fc_in[k]))
            rr = _sat16(_mbqm(fp._wrap32(r @ h64), q.fc_rec[k]))
            pre = _sat16(a + rr)
            if k == 2:
                gates.append(tanh_s16(pre, 0, 0).astype(np.int64))
            else:
                gates.append(sigmoid_s16(pre).astype(np.int64))
        gi, gf, gc, go = gates
        c64 = _sat16(_mbqm(gf * c.astype(np.int64), q.forget))
        upd = _sat16(_mbqm(gi * gc, q.update))
        c64 = _sat16(c64 + upd)
        if q.clip > 0:
            c64 = np.clip(c64, -q.clip, q.clip)
        th = tanh_s16(c64, *q.tanh).astype(np.int64)
        hn = np.clip(_mbqm(th * go, q.hidden) + q.h_zp, -128, 127)
        return hn.astype(np.int8), c64.astype(np.int16)

    @staticmethod
    def _step_f32(node, inputs, q, x, h, c):
        gates = []
        for k in range(4):
            w, r, bias = inputs[1 + k], inputs[5 + k], inputs[9 + k]
            pre = (w.astype(np.float32) @ x + bias.astype(np.float32)) + (r.astype(np.float32) @ h)
            if k == 2:
                gates.append(np.tanh(pre).astype(np.float32))
            else:
                gates.append(_sigmoid_f32(pre))
        gi, gf, gc, go = gates
        c = gf * c + gi * gc
        clip = np.float32(node.attrs.get("cell_clip", 0.0))
        if clip > 0:
            c = np.clip(c, -clip, clip)
        return (go * np.tanh(c)).astype(np.float32), c.astype(np.float32)

    # -- C --------------------------------------------------------------------------------------
    def emit(self, node, g, em):
        _check(node, g)
        b, steps, n_in, n, tm = _dims(node, g)
        ins = node.inputs
        dims = em.params("tm_lstm_dims", node, f"{{{b}, {steps}, {n_in}, {n}, {int(tm)}}}")
        code = []
        for src, dst in ((ins[13], node.outputs[1]), (ins[14], node.outputs[2])):
            if src != dst:  # the kernel updates the state in place: start from the given state
                code.append(f"memcpy({em.ptr(dst)}, {em.ptr(src)}, {g.tensor(dst).nbytes}u);")
        # rows interleaved (row 4 j + k: gate k of cell j), stored transposed: [depth][4 n]
        w = np.stack([g.const(ins[1 + k]).reshape(n, n_in) for k in range(4)], axis=1).reshape(4 * n, n_in)
        r = np.stack([g.const(ins[5 + k]).reshape(n, n) for k in range(4)], axis=1).reshape(4 * n, n)
        bias = np.stack([g.const(ins[9 + k]).reshape(n) for k in range(4)], axis=1).reshape(4 * n)
        if g.tensor(ins[0]).dtype == "f32":
            p = em.params("tm_lstm_params_f32", node,
                          f"{{{em.table(node.name + '_w', np.ascontiguousarray(w.T, np.float32))}, "
                          f"{em.table(node.name + '_r', np.ascontiguousarray(r.T, np.float32))}, "
                          f"{em.table(node.name + '_b', bias.astype(np.float32))}, "
                          f"{c_float(node.attrs.get('cell_clip', 0.0))}}}")
            kernel = "tm_lstm_f32"
        else:
            q = _Quant(node, g)
            w64, r64 = w.astype(np.int64), r.astype(np.int64)
            b_in = fp._wrap32(bias.astype(np.int64) - q.in_zp * w64.sum(axis=1)).astype(np.int32)
            b_rec = fp._wrap32(-q.h_zp * r64.sum(axis=1)).astype(np.int32)
            ints = lambda vals: "{" + ", ".join(str(int(v)) for v in vals) + "}"  # noqa: E731
            p = em.params("tm_lstm_params_s8", node, "{" + ", ".join([
                em.table(node.name + "_w", np.ascontiguousarray(w.T, np.int8)),
                em.table(node.name + "_r", np.ascontiguousarray(r.T, np.int8)),
                em.table(node.name + "_bias_in", b_in), em.table(node.name + "_bias_rec", b_rec),
                ints(m for m, _ in q.fc_in), ints(s for _, s in q.fc_in),
                ints(m for m, _ in q.fc_rec), ints(s for _, s in q.fc_rec),
                *map(str, q.forget), *map(str, q.update), *map(str, q.hidden), str(q.h_zp),
                str(q.clip), *map(str, q.tanh)]) + "}")
            kernel = "tm_lstm_s8"
        args = (f"&{dims}, &{p}, {em.ptr(ins[0])}, {em.ptr(node.outputs[0])}, {em.ptr(node.outputs[1])}, "
                f"{em.ptr(node.outputs[2])}")
        code.append(em.call(kernel, args))
        return "\n".join(code)
