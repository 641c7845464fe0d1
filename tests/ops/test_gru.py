"""ONNX GRU (IR gru) against onnxruntime: forward / reverse / bidirectional, both
linear_before_reset variants, biases, initial state, clip, activation functions with alpha /
beta, sequence_lens (constant and at run time, including 0), layout 1 (onnxruntime only runs
layout 0: its outputs for the transposed model are the oracle) and omitted outputs."""

import pytest

from tests.ops.onnx_harness import check_onnx
from tests.ops.recurrent_onnx import build_recurrent, check_layout_1

DIMS = (5, 3, 4, 6)
T = DIMS[0]


def build(seed=1, **kw):
    return build_recurrent("GRU", DIMS, [5, 0, 3], seed=seed, **kw)


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
    check_layout_1(build, tmp_path, direction="bidirectional", seq="runtime", linear_before_reset=1)
