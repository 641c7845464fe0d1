"""ONNX RNN (IR rnn) against onnxruntime: forward / reverse / bidirectional, biases, initial
state, clip, activation functions with alpha / beta (consumed in order by the functions that
use them, onnxruntime's defaults otherwise), sequence_lens (constant and at run time), layout 1
(onnxruntime only runs layout 0: its outputs for the transposed model are the oracle)."""

import numpy as np
import pytest
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import check_onnx, onnx_model
from tinymem.sim.references import run_onnxruntime

T, B, I, H = 6, 2, 5, 7
vi = helper.make_tensor_value_info


def build(direction="forward", layout=0, bias=True, init=True, seq=None, outputs=("Y", "Y_h"), seed=2, **attrs):
    rng = np.random.default_rng(seed)
    d = 2 if direction == "bidirectional" else 1
    inits = {"W": rng.uniform(-0.6, 0.6, (d, H, I)).astype(np.float32),
             "R": rng.uniform(-0.6, 0.6, (d, H, H)).astype(np.float32)}
    names = ["X", "W", "R", "", "", ""]
    graph_in = [vi("X", TP.FLOAT, [T, B, I] if layout == 0 else [B, T, I])]
    feeds = {"X": rng.standard_normal((T, B, I) if layout == 0 else (B, T, I)).astype(np.float32)}
    if bias:
        inits["B"] = rng.uniform(-0.5, 0.5, (d, 2 * H)).astype(np.float32)
        names[3] = "B"
    if seq is not None:
        names[4] = "L"
        if seq == "runtime":
            graph_in.append(vi("L", TP.INT32, [B]))
            feeds["L"] = np.array([4, T][:B], np.int32)
        else:
            inits["L"] = np.asarray(seq, np.int32)
    state = [d, B, H] if layout == 0 else [B, d, H]
    if init:
        names[5] = "h0"
        graph_in.append(vi("h0", TP.FLOAT, state))
        feeds["h0"] = rng.uniform(-1, 1, state).astype(np.float32)
    while names[-1] == "":
        names.pop()
    node = helper.make_node("RNN", names, list(outputs), hidden_size=H, direction=direction,
                            **({"layout": layout} if layout else {}), **attrs)
    shapes = {"Y": [T, d, B, H] if layout == 0 else [B, T, d, H], "Y_h": state}
    return onnx_model([node], graph_in, [vi(n, TP.FLOAT, shapes[n]) for n in outputs if n], inits), feeds


CASES = {
    "forward": dict(),
    "reverse_no_bias_no_state": dict(direction="reverse", bias=False, init=False),
    "bidirectional_clip": dict(direction="bidirectional", clip=0.8),
    "relu_leaky": dict(direction="bidirectional", activations=["Relu", "LeakyRelu"], activation_alpha=[0.0, 0.2]),
    "hard_sigmoid": dict(activations=["HardSigmoid"], activation_alpha=[0.3], activation_beta=[0.4]),
    "defaults_alpha": dict(direction="bidirectional", activations=["LeakyRelu", "HardSigmoid"]),
    "scaled_tanh": dict(direction="bidirectional", activations=["ScaledTanh", "Affine"],
                        activation_alpha=[1.2, 0.5], activation_beta=[0.8, 0.1]),
    "softplus_softsign_elu": dict(direction="bidirectional", activations=["Softplus", "Elu"],
                                  activation_alpha=[0.0, 0.6]),
    "seq_lens": dict(direction="bidirectional", seq="runtime", outputs=("", "Y_h")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rnn(case, tmp_path):
    model, feeds = build(**CASES[case])
    check_onnx(model, feeds, tmp_path)


def test_layout_1(tmp_path):
    model, feeds = build(direction="bidirectional", layout=1, seq=[T, 3])
    ref_model, _ = build(direction="bidirectional", layout=0, seq=[T, 3])
    want = run_onnxruntime(ref_model, {"X": feeds["X"].transpose(1, 0, 2), "h0": feeds["h0"].transpose(1, 0, 2)})
    check_onnx(model, feeds, tmp_path, expected=[want[0].transpose(2, 0, 1, 3), want[1].transpose(1, 0, 2)])
