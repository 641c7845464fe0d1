"""MUL through TFLM (oracle), the numpy reference and the generated C (ASan + UBSan)."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_add import binary_model, q8

RNG = np.random.default_rng(777)

CASES_S8 = [
    ((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16), "NONE", ((0.05, 3), (0.02, -7), (0.006, 10))),
    ((1, 5, 5, 4), (1, 5, 5, 4), (1, 5, 5, 4), "RELU", ((0.02, -128), (0.03, 5), (0.01, -128))),
    ((1, 4, 4, 16), (1, 1, 1, 16), (1, 4, 4, 16), "RELU6", ((0.05, 3), (0.02, -7), (0.03, 10))),
    ((1,), (2, 3, 5), (2, 3, 5), "NONE", ((0.01, 5), (0.02, -2), (0.0008, 0))),
    ((1, 4, 1, 3), (2, 1, 5, 1), (2, 4, 5, 3), "NONE", ((0.3, -1), (0.7, 20), (0.09, 0))),  # multiplier > 1
]


@pytest.mark.parametrize("s1,s2,so,act,q", CASES_S8)
def test_mul_s8(s1, s2, so, act, q, tmp_path):
    model = binary_model("MUL", s1, s2, so, "s8", q, act=act)
    check_tflite(model, [q8(s1, RNG), q8(s2, RNG)], tmp_path)


def test_mul_s8_constant_scale_vector(tmp_path):
    model = binary_model("MUL", (1, 3, 3, 8), (8,), (1, 3, 3, 8), "s8", const2=q8((8,), RNG))
    check_tflite(model, [q8((1, 3, 3, 8), RNG)], tmp_path)


def test_mul_s16(tmp_path):
    s = (1, 6, 6, 5)
    q = ((0.001, 0), (0.0005, 0), (0.01, 0))
    model = binary_model("MUL", s, (5,), s, "s16", q)
    x1 = RNG.integers(-32768, 32768, size=s, dtype=np.int16)
    x2 = RNG.integers(-32768, 32768, size=(5,), dtype=np.int16)
    check_tflite(model, [x1, x2], tmp_path)


@pytest.mark.parametrize("s1,s2,act", [((1, 7, 7, 9), (1, 7, 7, 9), "NONE"),
                                       ((1, 4, 4, 6), (6,), "RELU6"),
                                       ((3, 1, 5), (1, 4, 1), "RELU_N1_TO_1")])
def test_mul_f32(s1, s2, act, tmp_path):
    so = tuple(np.broadcast_shapes(s1, s2))
    model = binary_model("MUL", s1, s2, so, "f32", act=act)
    x1 = (RNG.standard_normal(s1) * 4).astype(np.float32)
    x2 = (RNG.standard_normal(s2) * 4).astype(np.float32)
    check_tflite(model, [x1, x2], tmp_path)
