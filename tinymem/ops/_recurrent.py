"""Shared machinery of the ONNX recurrent operators rnn, gru and onnx_lstm (tinymem/ops/rnn.py,
gru.py, onnx_lstm.py). Not an operator (the leading underscore keeps the registry from importing
it as one).

IR (all three), inputs at the ONNX positions ("" when absent):
  0 x         [T, B, I] (layout 0) or [B, T, I] (layout 1), float32, run time
  1 w         [D, G*H, I] constant, gate blocks in ONNX order (LSTM i o f c, GRU z r h, RNN one)
  2 r         [D, G*H, H] constant
  3 b         [D, 2*G*H] constant (Wb then Rb) or ""
  4 seq_lens  [B] int32, constant or run time, or "" (every sequence has length T)
  5 h0        [D, B, H] (layout 1: [B, D, H]) float32, or "" (zeros)
  LSTM only: 6 c0 like h0, or ""; 7 p [D, 3*H] constant peepholes (i o f), or ""
outputs (always all present):
  0 y   [T, D, B, H] (layout 1: [B, T, D, H]);  1 y_h  like h0;  LSTM: 2 y_c  like h0
attrs:
  hidden_size  H
  direction    "forward" | "reverse" | "bidirectional" (D = 2; direction 1 runs backwards)
  layout       0 | 1
  clip         float >= 0 (0: none): gate pre-activations are clipped to [-clip, clip]
  activations  [[name, alpha, beta], ...], G' per direction in ONNX order (LSTM f g h, GRU f g,
               RNN f), names lower case (sigmoid, tanh, relu, affine, leakyrelu, thresholdedrelu,
               scaledtanh, hardsigmoid, elu, softsign, softplus), alpha / beta resolved at import
  LSTM: input_forget 0 | 1;  GRU: linear_before_reset 0 | 1

Semantics are onnxruntime's (the reference runtime of ONNX models; see
runtime_c/include/tinymem/recurrent.h): a batch entry of length L runs t = 0..L-1 (backwards:
L-1..0) from its initial state, y[t] = 0 for t >= L, the final state is the state after its last
step (zeros when L = 0). activation_alpha / activation_beta are consumed in the order of the
activation functions by those that use them, with onnxruntime's defaults (LeakyRelu 0.01,
HardSigmoid 0.2 / 0.5, Elu 1.0, otherwise 0).
"""

from __future__ import annotations

import numpy as np

from tinymem.codegen.cnames import c_float
from tinymem.errors import UnsupportedOperatorError
from tinymem.frontend.onnx_attrs import identity

#: name -> (C kind, uses alpha, uses beta, default alpha, default beta), as onnxruntime
ACTIVATIONS = {
    "sigmoid": (0, False, False, 0.0, 0.0),
    "tanh": (1, False, False, 0.0, 0.0),
    "relu": (2, False, False, 0.0, 0.0),
    "affine": (3, True, True, 0.0, 0.0),
    "leakyrelu": (4, True, False, 0.01, 0.0),
    "thresholdedrelu": (5, True, False, 0.0, 0.0),
    "scaledtanh": (6, True, True, 0.0, 0.0),
    "hardsigmoid": (7, True, True, 0.2, 0.5),
    "elu": (8, True, False, 1.0, 0.0),
    "softsign": (9, False, False, 0.0, 0.0),
    "softplus": (10, False, False, 0.0, 0.0),
}
DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}
F32 = np.float32


def activate(spec, v) -> np.ndarray:
    """Activation `spec` = [name, alpha, beta] of float32 vector v, in float32."""
    name, a, b = spec[0], F32(spec[1]), F32(spec[2])
    v = np.asarray(v, dtype=F32)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "sigmoid":
            out = F32(1) / (F32(1) + np.exp(-v))
        elif name == "tanh":
            out = np.tanh(v)
        elif name == "relu":
            out = np.where(v > 0, v, F32(0))
        elif name == "affine":
            out = a * v + b
        elif name == "leakyrelu":
            out = np.where(v >= 0, v, a * v)
        elif name == "thresholdedrelu":
            out = np.where(v > a, v, F32(0))
        elif name == "scaledtanh":
            out = a * np.tanh(b * v)
        elif name == "hardsigmoid":
            out = np.clip(a * v + b, F32(0), F32(1))
        elif name == "elu":
            out = np.where(v >= 0, v, a * (np.exp(v) - F32(1)))
        elif name == "softsign":
            out = v / (F32(1) + np.abs(v))
        elif name == "softplus":
            out = np.log(F32(1) + np.exp(v))
        else:
            raise UnsupportedOperatorError(f"recurrent activation {name!r}")
    return np.asarray(out, dtype=F32)


def clip(v, limit: float) -> np.ndarray:
    return np.clip(v, F32(-limit), F32(limit)) if limit > 0 else v


def _activations(ctx, node, n_acts: int, defaults: tuple[str, ...], directions: int) -> list[list]:
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in (ctx.attr(node, "activations", None) or [])]
    if not names:
        names = list(defaults) * directions
    elif len(names) == n_acts and directions == 2:
        names = names * 2  # one set given: the same for both directions
    elif n_acts == 1 and directions == 1 and len(names) == 2:
        names = names[:1]  # onnxruntime's RNN: the ONNX default list {Tanh, Tanh}
    if len(names) != n_acts * directions:
        ctx.unsupported(node, f"{len(names)} activations for {directions} direction(s)")
    alphas = [float(v) for v in (ctx.attr(node, "activation_alpha", None) or [])]
    betas = [float(v) for v in (ctx.attr(node, "activation_beta", None) or [])]
    out = []
    for k, raw in enumerate(names):
        name = raw.lower()
        if name not in ACTIVATIONS:
            ctx.unsupported(node, f"activation {raw!r}")
        _, use_a, use_b, da, db = ACTIVATIONS[name]
        alpha = (alphas.pop(0) if alphas else da) if use_a else 0.0
        beta = (betas.pop(0) if betas else db) if use_b else 0.0
        out.append([name, float(F32(alpha)), float(F32(beta))])
    return out


def _const_f32(ctx, name: str) -> np.ndarray | None:
    """A compile-time constant as float32; DequantizeLinear(integer constant) of a QDQ model is
    dequantized here, (q - zero_point) * scale in float32 as onnxruntime does."""
    v = ctx.const(name)
    if v is not None:
        return np.asarray(v, dtype=F32)
    qc = ctx.quantized_const(name)
    if qc is None:
        return None
    q, scale, zp, axis = qc
    shape = [1] * q.ndim
    if axis is not None and np.size(scale) > 1:
        shape[axis] = -1
    zp = np.asarray(zp, dtype=F32).reshape(shape if np.size(zp) > 1 else [1] * q.ndim)
    return ((q.astype(F32) - zp) * np.asarray(scale, dtype=F32).reshape(shape)).astype(F32)


def import_recurrent(op: str, ctx, node, gates: int, defaults: tuple[str, ...], extra: dict) -> None:
    """Add the IR node of an ONNX RNN / GRU / LSTM (see the module docstring)."""
    lstm = op == "onnx_lstm"
    ins = list(node.input) + [""] * (8 - len(node.input))
    outs = list(node.output) + [""] * (3 - len(node.output))
    x_name = ins[0]
    if ctx.dtype(x_name) != "f32":
        ctx.unsupported(node, f"a {ctx.dtype(x_name)} input (float32 only)")
    direction = str(ctx.attr(node, "direction", "forward"))
    if direction not in DIRECTIONS:
        ctx.unsupported(node, f"direction {direction!r}")
    d = DIRECTIONS[direction]
    layout = int(ctx.attr(node, "layout", 0))
    if layout not in (0, 1):
        ctx.unsupported(node, f"layout {layout}")
    xs = ctx.shape(x_name)
    if len(xs) != 3:
        ctx.unsupported(node, f"a rank-{len(xs)} input")
    t, b = (xs[0], xs[1]) if layout == 0 else (xs[1], xs[0])
    n_in = xs[2]
    consts = {}
    for pos, what in ((1, "W"), (2, "R"), (3, "B"), (7, "P")):
        if ins[pos] and (pos < 7 or lstm):
            v = _const_f32(ctx, ins[pos])
            if v is None:
                ctx.unsupported(node, f"a run-time {what} (weights, biases and peepholes must be constants)")
            consts[pos] = v
    w, r = consts[1], consts[2]
    h = int(ctx.attr(node, "hidden_size", r.shape[-1]))
    shapes = {1: (d, gates * h, n_in), 2: (d, gates * h, h), 3: (d, 2 * gates * h), 7: (d, 3 * h)}
    for pos, v in consts.items():
        if v.shape != shapes[pos]:
            ctx.unsupported(node, f"input {pos} of shape {list(v.shape)} (expected {list(shapes[pos])})")
    g = ctx.graph
    ir_ins = [ctx.input(x_name, identity(3))]
    for pos in (1, 2, 3):
        ir_ins.append(g.add_const(ctx.fresh(ins[pos]), consts[pos]) if pos in consts else "")
    seq = ""
    if ins[4]:
        v = ctx.const(ins[4])
        if v is not None:
            v = np.asarray(v).reshape(-1)
            if v.size != b or (v < 0).any() or (v > t).any():
                ctx.unsupported(node, f"sequence_lens {v.tolist()} (batch {b}, sequence length {t})")
            seq = g.add_const(ctx.fresh(ins[4]), v.astype(np.int32))
        else:
            if ctx.dtype(ins[4]) != "s32":
                ctx.unsupported(node, f"a run-time {ctx.dtype(ins[4])} sequence_lens (int32 only)")
            seq = ctx.input(ins[4], identity(ctx.rank(ins[4])))
    ir_ins.append(seq)
    state_shape = (d, b, h) if layout == 0 else (b, d, h)
    for pos in ((5, 6) if lstm else (5,)):
        if ins[pos]:
            if ctx.dtype(ins[pos]) != "f32":
                ctx.unsupported(node, f"a {ctx.dtype(ins[pos])} initial state")
            if int(np.prod(ctx.shape(ins[pos]))) != int(np.prod(state_shape)):
                ctx.unsupported(node, f"an initial state of shape {list(ctx.shape(ins[pos]))}")
            ir_ins.append(ctx.input(ins[pos], identity(ctx.rank(ins[pos]))))
        else:
            ir_ins.append("")
    if lstm:
        ir_ins.append(g.add_const(ctx.fresh(ins[7]), consts[7]) if 7 in consts else "")
    y_shape = (t, d, b, h) if layout == 0 else (b, t, d, h)
    ir_outs = []
    for k, shape in enumerate([y_shape, state_shape] + ([state_shape] if lstm else [])):
        name = outs[k]
        if name:
            ir_outs.append(ctx.output(name, dtype="f32", shape=shape))
        else:
            ir_outs.append(ctx.temp(f"{node.name or op}_{('y', 'y_h', 'y_c')[k]}", shape, "f32"))
    clip_attr = ctx.attr(node, "clip", None)
    attrs = {"hidden_size": h, "direction": direction, "layout": layout,
             "clip": float(F32(clip_attr)) if clip_attr is not None else 0.0,
             "activations": _activations(ctx, node, len(defaults), defaults, d)}
    if attrs["clip"] < 0:
        ctx.unsupported(node, f"clip {attrs['clip']}")
    attrs.update(extra)
    ctx.add_node(op, ir_ins, ir_outs, attrs)


# -- the IR op's shared parts ---------------------------------------------------------------------
def dims(node, g) -> tuple[int, int, int, int, int]:
    """(T, B, I, H, D)."""
    x = g.tensor(node.inputs[0]).shape
    layout = node.attrs.get("layout", 0)
    t, b = (x[0], x[1]) if layout == 0 else (x[1], x[0])
    return t, b, x[2], int(node.attrs["hidden_size"]), DIRECTIONS[node.attrs["direction"]]


def infer(node, g, n_states: int) -> list[tuple[int, ...]]:
    t, b, _, h, d = dims(node, g)
    layout = node.attrs.get("layout", 0)
    y = (t, d, b, h) if layout == 0 else (b, t, d, h)
    state = (d, b, h) if layout == 0 else (b, d, h)
    return [y] + [state] * n_states


def check(node, g) -> None:
    where = f"operator {node.op} (node {node.name})"
    if g.tensor(node.inputs[0]).dtype != "f32":
        raise UnsupportedOperatorError(f"{where}: {g.tensor(node.inputs[0]).dtype} input (float32 only)")
    for k in (1, 2):
        if not g.tensor(node.inputs[k]).is_const:
            raise UnsupportedOperatorError(f"{where}: run-time weights")
    seq = node.input(4)
    if seq and g.tensor(seq).dtype != "s32":
        raise UnsupportedOperatorError(f"{where}: {g.tensor(seq).dtype} sequence_lens (int32 only)")
    for name in node.outputs:
        if g.tensor(name).dtype != "f32":
            raise UnsupportedOperatorError(f"{where}: {g.tensor(name).dtype} output")


def run(node, g, inputs, n_states: int, step) -> list[np.ndarray]:
    """numpy reference loop: step(direction, x_t, states) -> new states (states[0] = h)."""
    t_len, b_len, n_in, h, d_len = dims(node, g)
    layout = node.attrs.get("layout", 0)
    x = np.asarray(inputs[0], dtype=F32).reshape((t_len, b_len, n_in) if layout == 0 else (b_len, t_len, n_in))
    if layout == 1:
        x = x.transpose(1, 0, 2)
    seq = inputs[4] if len(inputs) > 4 and inputs[4] is not None else None
    lens = np.full(b_len, t_len) if seq is None else np.asarray(seq).reshape(-1).astype(np.int64)
    if (lens < 0).any() or (lens > t_len).any():
        raise ValueError(f"node {node.name}: sequence_lens {lens.tolist()} outside [0, {t_len}]")
    init = []
    for k in range(n_states):
        v = inputs[5 + k] if len(inputs) > 5 + k else None
        if v is None:
            init.append(np.zeros((d_len, b_len, h), F32))
        else:
            v = np.asarray(v, dtype=F32).reshape((d_len, b_len, h) if layout == 0 else (b_len, d_len, h))
            init.append(v if layout == 0 else v.transpose(1, 0, 2))
    y = np.zeros((t_len, d_len, b_len, h), F32)
    finals = [np.zeros((d_len, b_len, h), F32) for _ in range(n_states)]
    reverse = node.attrs["direction"] == "reverse"
    for di in range(d_len):
        backwards = di == 1 or reverse
        for bi in range(b_len):
            n = int(lens[bi])
            states = [s[di, bi].copy() for s in init]
            for s in range(n):
                ti = n - 1 - s if backwards else s
                states = step(di, x[ti, bi], states)
                y[ti, di, bi] = states[0]
            for k in range(n_states):
                finals[k][di, bi] = states[k] if n > 0 else 0
    if layout == 1:
        y = y.transpose(2, 0, 1, 3)
        finals = [f.transpose(1, 0, 2) for f in finals]
    return [np.ascontiguousarray(y)] + [np.ascontiguousarray(f) for f in finals]


def macs(node, g, gates: int) -> int:
    t, b, i, h, d = dims(node, g)
    return d * b * t * gates * h * (i + h)


# -- C ----------------------------------------------------------------------------------------------
def c_dims(node, g) -> str:
    t, b, i, h, d = dims(node, g)
    reverse = int(node.attrs["direction"] == "reverse")
    return f"{{{t}, {b}, {i}, {h}, {d}, {reverse}, {int(node.attrs.get('layout', 0))}, {c_float(node.attrs['clip'])}}}"


def c_acts(node, per_dir: int) -> list[str]:
    """Per direction (always 2, the second a copy of the first for one direction): the
    initializer of per_dir tm_rnn_act."""
    specs = node.attrs["activations"]
    rows = []
    for di in range(2):
        chunk = specs[di * per_dir:(di + 1) * per_dir] or specs[:per_dir]
        rows.append(", ".join(f"{{{ACTIVATIONS[n][0]}, {c_float(a)}, {c_float(b)}}}" for n, a, b in chunk))
    return rows


def optional_ptr(em, node, k: int) -> str:
    name = node.input(k)
    return em.ptr(name) if name else "NULL"
