"""Single-node ONNX LSTM / GRU / RNN models for the recurrent operator tests, and the layout-1
check (onnxruntime only runs layout 0, so its outputs on the transposed feeds are the oracle)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import check_onnx, onnx_model
from tinymem.sim.references import run_onnxruntime

vi = helper.make_tensor_value_info

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
STATES = {"LSTM": ("h0", "c0"), "GRU": ("h0",), "RNN": ("h0",)}


def build_recurrent(op: str, dims: tuple[int, int, int, int], runtime_lens: list[int], direction="forward",
                    layout=0, bias=True, init=True, seq=None, outputs=None, seed=0, peep=False, **attrs):
    """(model, feeds) of one `op` node with dims (T, B, I, H). seq: None, "runtime" (an int32 input
    fed `runtime_lens`) or constant lengths; peep: LSTM peepholes; outputs default to all of them."""
    T, B, I, H = dims
    gates, states = GATES[op], STATES[op]
    outputs = outputs or ("Y", *(f"Y_{s[0]}" for s in states))
    rng = np.random.default_rng(seed)
    d = 2 if direction == "bidirectional" else 1
    inits = {"W": rng.uniform(-0.6, 0.6, (d, gates * H, I)).astype(np.float32),
             "R": rng.uniform(-0.6, 0.6, (d, gates * H, H)).astype(np.float32)}
    names = ["X", "W", "R", "", "", *([""] * len(states)), *([""] if op == "LSTM" else [])]
    graph_in = [vi("X", TP.FLOAT, [T, B, I] if layout == 0 else [B, T, I])]
    feeds = {"X": rng.standard_normal((T, B, I) if layout == 0 else (B, T, I)).astype(np.float32)}
    if bias:
        inits["B"] = rng.uniform(-0.5, 0.5, (d, 2 * gates * H)).astype(np.float32)
        names[3] = "B"
    if seq is not None:
        names[4] = "L"
        if seq == "runtime":
            graph_in.append(vi("L", TP.INT32, [B]))
            feeds["L"] = np.array(runtime_lens[:B], np.int32)
        else:
            inits["L"] = np.asarray(seq, np.int32)
    state = [d, B, H] if layout == 0 else [B, d, H]
    if init:
        for k, n in enumerate(states, start=5):
            names[k] = n
            graph_in.append(vi(n, TP.FLOAT, state))
            feeds[n] = rng.uniform(-1, 1, state).astype(np.float32)
    if peep:
        inits["P"] = rng.uniform(-0.5, 0.5, (d, 3 * H)).astype(np.float32)
        names[7] = "P"
    while names[-1] == "":
        names.pop()
    node = helper.make_node(op, names, list(outputs), hidden_size=H, direction=direction,
                            **({"layout": layout} if layout else {}), **attrs)
    shapes = {"Y": [T, d, B, H] if layout == 0 else [B, T, d, H], "Y_h": state, "Y_c": state}
    return onnx_model([node], graph_in, [vi(n, TP.FLOAT, shapes[n]) for n in outputs if n], inits), feeds


def check_layout_1(build, tmp_path, **kw) -> None:
    """The layout-1 model against onnxruntime running the layout-0 model on transposed feeds."""
    model, feeds = build(layout=1, **kw)
    ref_model, _ = build(layout=0, **kw)
    ref_feeds = {k: v if k == "L" else v.transpose(1, 0, 2) for k, v in feeds.items()}
    want = run_onnxruntime(ref_model, ref_feeds)
    expected = [want[0].transpose(2, 0, 1, 3), *(w.transpose(1, 0, 2) for w in want[1:])]
    check_onnx(model, feeds, tmp_path, expected=expected)
