"""ONNX RNN (IR rnn) against onnxruntime: forward / reverse / bidirectional, biases, initial
state, clip, activation functions with alpha / beta (consumed in order by the functions that
use them, onnxruntime's defaults otherwise), sequence_lens (constant and at run time), layout 1
(onnxruntime only runs layout 0: its outputs for the transposed model are the oracle)."""

import pytest

from tests.ops.onnx_harness import check_onnx
from tests.ops.recurrent_onnx import build_recurrent, check_layout_1

DIMS = (6, 2, 5, 7)
T = DIMS[0]


def build(seed=2, **kw):
    return build_recurrent("RNN", DIMS, [4, 6], seed=seed, **kw)


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
    check_layout_1(build, tmp_path, direction="bidirectional", seq=[T, 3])
