"""ONNX GRU (IR gru) against onnxruntime: forward / reverse / bidirectional, both
linear_before_reset variants, biases, initial state, clip, activation functions with alpha /
beta, sequence_lens (constant and at run time, including 0), layout 1 (onnxruntime only runs
layout 0: its outputs for the transposed model are the oracle) and omitted outputs."""

import numpy as np
import pytest
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import check_onnx, onnx_model
from tinymem.sim.references import run_onnxruntime

T, B, I, H = 5, 3, 4, 6
vi = helper.make_tensor_value_info


def build(direction="forward", layout=0, bias=True, init=True, seq=None, outputs=("Y", "Y_h"), seed=1, **attrs):
    rng = np.random.default_rng(seed)
    d = 2 if direction == "bidirectional" else 1
    inits = {"W": rng.uniform(-0.6, 0.6, (d, 3 * H, I)).astype(np.float32),
             "R": rng.uniform(-0.6, 0.6, (d, 3 * H, H)).astype(np.float32)}
    names = ["X", "W", "R", "", "", ""]
    graph_in = [vi("X", TP.FLOAT, [T, B, I] if layout == 0 else [B, T, I])]
    feeds = {"X": rng.standard_normal((T, B, I) if layout == 0 else (B, T, I)).astype(np.float32)}
    if bias:
        inits["B"] = rng.uniform(-0.5, 0.5, (d, 6 * H)).astype(np.float32)
        names[3] = "B"
    if seq is not None:
        names[4] = "L"
        if seq == "runtime":
            graph_in.append(vi("L", TP.INT32, [B]))
            feeds["L"] = np.array([T, 0, 3][:B], np.int32)
        else:
            inits["L"] = np.asarray(seq, np.int32)
    state = [d, B, H] if layout == 0 else [B, d, H]
    if init:
        names[5] = "h0"
        graph_in.append(vi("h0", TP.FLOAT, state))
        feeds["h0"] = rng.uniform(-1, 1, state).astype(np.float32)
    while names[-1] == "":
        names.pop()
    node = helper.make_node("GRU", names, list(outputs), hidden_size=H, direction=direction,
                            **({"layout": layout} if layout else {}), **attrs)
    shapes = {"Y": [T, d, B, H] if layout == 0 else [B, T, d, H], "Y_h": state}
    return onnx_model([node], graph_in, [vi(n, TP.FLOAT, shapes[n]) for n in outputs if n], inits), feeds


CASES = {
    "forward": dict(),
    "forward_linear_before_reset": dict(linear_before_reset=1),
    "reverse_no_bias_no_state": dict(direction="reverse", bias=False, init=False, linear_before_reset=1),
    "bidirectional_clip": dict(direction="bidirectional", clip=0.6),
    "activations": dict(direction="bidirectional", linear_before_reset=1,
                        activations=["HardSigmoid", "Softsign", "Sigmoid", "ScaledTanh"],
                        activation_alpha=[0.3, 0.9], activation_beta=[0.45, 1.3]),
    "activations_more": dict(activations=["Sigmoid", "Elu"], activation_alpha=[0.7]),
    "seq_lens_runtime": dict(direction="bidirectional", seq="runtime"),
    "seq_lens_const_only_y_h": dict(direction="reverse", seq=[3, T, 1], outputs=("", "Y_h")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gru(case, tmp_path):
    model, feeds = build(**CASES[case])
    check_onnx(model, feeds, tmp_path)


def test_layout_1(tmp_path):
    kw = dict(direction="bidirectional", seq="runtime", linear_before_reset=1)
    model, feeds = build(layout=1, **kw)
    ref_model, _ = build(layout=0, **kw)
    want = run_onnxruntime(ref_model, {"X": feeds["X"].transpose(1, 0, 2), "L": feeds["L"],
                                       "h0": feeds["h0"].transpose(1, 0, 2)})
    check_onnx(model, feeds, tmp_path, expected=[want[0].transpose(2, 0, 1, 3), want[1].transpose(1, 0, 2)])
