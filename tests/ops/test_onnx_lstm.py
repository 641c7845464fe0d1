"""ONNX LSTM (IR onnx_lstm) against onnxruntime: forward / reverse / bidirectional, biases,
initial states, peepholes, clip, input_forget, every activation function with alpha / beta,
sequence_lens (constant and at run time, including 0), layout 1 (onnxruntime only runs layout 0:
its outputs for the transposed model are the oracle) and omitted outputs."""

import numpy as np
import pytest
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import check_onnx, onnx_model
from tinymem.sim.references import run_onnxruntime

T, B, I, H = 5, 3, 4, 6
vi = helper.make_tensor_value_info


def build(direction="forward", layout=0, peep=False, bias=True, init=True, seq=None, outputs=("Y", "Y_h", "Y_c"),
          seed=0, **attrs):
    rng = np.random.default_rng(seed)
    d = 2 if direction == "bidirectional" else 1
    inits = {"W": rng.uniform(-0.6, 0.6, (d, 4 * H, I)).astype(np.float32),
             "R": rng.uniform(-0.6, 0.6, (d, 4 * H, H)).astype(np.float32)}
    names = ["X", "W", "R", "", "", "", "", ""]
    graph_in = [vi("X", TP.FLOAT, [T, B, I] if layout == 0 else [B, T, I])]
    feeds = {"X": rng.standard_normal((T, B, I) if layout == 0 else (B, T, I)).astype(np.float32)}
    if bias:
        inits["B"] = rng.uniform(-0.5, 0.5, (d, 8 * H)).astype(np.float32)
        names[3] = "B"
    if seq is not None:
        names[4] = "L"
        if seq == "runtime":
            graph_in.append(vi("L", TP.INT32, [B]))
            feeds["L"] = np.array([T, 2, 0][:B], np.int32)
        else:
            inits["L"] = np.asarray(seq, np.int32)
    state = [d, B, H] if layout == 0 else [B, d, H]
    if init:
        for k, n in ((5, "h0"), (6, "c0")):
            names[k] = n
            graph_in.append(vi(n, TP.FLOAT, state))
            feeds[n] = rng.uniform(-1, 1, state).astype(np.float32)
    if peep:
        inits["P"] = rng.uniform(-0.5, 0.5, (d, 3 * H)).astype(np.float32)
        names[7] = "P"
    while names[-1] == "":
        names.pop()
    node = helper.make_node("LSTM", names, list(outputs), hidden_size=H, direction=direction,
                            **({"layout": layout} if layout else {}), **attrs)
    y = [T, d, B, H] if layout == 0 else [B, T, d, H]
    shapes = {"Y": y, "Y_h": state, "Y_c": state}
    graph_out = [vi(n, TP.FLOAT, shapes[n]) for n in outputs if n]
    return onnx_model([node], graph_in, graph_out, inits), feeds


CASES = {
    "forward": dict(),
    "reverse_no_bias_no_state": dict(direction="reverse", bias=False, init=False),
    "bidirectional_peepholes": dict(direction="bidirectional", peep=True),
    "clip_input_forget": dict(clip=0.7, input_forget=1, peep=True),
    "activations": dict(direction="bidirectional",
                        activations=["HardSigmoid", "Softsign", "ScaledTanh", "Sigmoid", "Elu", "Softplus"],
                        activation_alpha=[0.3, 1.5, 0.8], activation_beta=[0.4, 0.7]),
    "activations_more": dict(activations=["Sigmoid", "LeakyRelu", "Affine"], activation_alpha=[0.2, 0.5],
                             activation_beta=[0.1]),
    "activations_relu": dict(direction="reverse", activations=["HardSigmoid", "Relu", "ThresholdedRelu"],
                             activation_alpha=[0.25, 0.1], activation_beta=[0.5]),
    "seq_lens_runtime": dict(direction="bidirectional", seq="runtime", peep=True),
    "seq_lens_const": dict(direction="reverse", seq=[2, T, 4]),
    "only_final_states": dict(direction="bidirectional", outputs=("", "Y_h", "Y_c")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lstm(case, tmp_path):
    model, feeds = build(**CASES[case])
    check_onnx(model, feeds, tmp_path)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_layout_1(direction, tmp_path):
    model, feeds = build(direction=direction, layout=1, peep=True, seq="runtime")
    ref_model, _ = build(direction=direction, layout=0, peep=True, seq="runtime")
    want = run_onnxruntime(ref_model, {"X": feeds["X"].transpose(1, 0, 2), "L": feeds["L"],
                                       "h0": feeds["h0"].transpose(1, 0, 2), "c0": feeds["c0"].transpose(1, 0, 2)})
    expected = [want[0].transpose(2, 0, 1, 3), want[1].transpose(1, 0, 2), want[2].transpose(1, 0, 2)]
    check_onnx(model, feeds, tmp_path, expected=expected)


def test_dequantized_weights(tmp_path):
    """QDQ models keep LSTMs float with DequantizeLinear weights: dequantized at compile time."""
    model, feeds = build(direction="bidirectional", peep=True)
    g = model.graph
    w = next(i for i in g.initializer if i.name == "W")
    from onnx import numpy_helper

    wf = numpy_helper.to_array(w)
    scale = (np.abs(wf).max(axis=(0, 2)) / 127).astype(np.float32)
    q = np.clip(np.round(wf / scale[None, :, None]), -127, 127).astype(np.int8)
    g.initializer.remove(w)
    g.initializer.extend([numpy_helper.from_array(q, "Wq"), numpy_helper.from_array(scale, "Ws")])
    g.node.insert(0, helper.make_node("DequantizeLinear", ["Wq", "Ws"], ["W"], axis=1))
    check_onnx(model, feeds, tmp_path)
