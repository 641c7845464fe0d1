"""ONNX LSTM (IR onnx_lstm) against onnxruntime: forward / reverse / bidirectional, biases,
initial states, peepholes, clip, input_forget, every activation function with alpha / beta,
sequence_lens (constant and at run time, including 0), layout 1 (onnxruntime only runs layout 0:
its outputs for the transposed model are the oracle) and omitted outputs."""

import numpy as np
import pytest
from onnx import helper

from tests.ops.onnx_harness import check_onnx
from tests.ops.recurrent_onnx import build_recurrent, check_layout_1

DIMS = (5, 3, 4, 6)
T = DIMS[0]


def build(seed=0, **kw):
    return build_recurrent("LSTM", DIMS, [5, 2, 0], seed=seed, **kw)


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
    check_layout_1(build, tmp_path, direction=direction, peep=True, seq="runtime")


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
