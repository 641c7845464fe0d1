"""SUB through TFLM (oracle), the numpy reference and the generated C (ASan + UBSan)."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_add import binary_model, q8

RNG = np.random.default_rng(4321)

CASES_S8 = [
    ((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16), "NONE", ((0.05, 3), (0.02, -7), (0.06, 10))),
    ((1, 5, 5, 4), (1, 5, 5, 4), (1, 5, 5, 4), "RELU", ((0.02, -128), (0.03, 5), (0.02, -128))),
    ((1, 4, 4, 16), (16,), (1, 4, 4, 16), "RELU6", ((0.05, 3), (0.02, -7), (0.06, 10))),
    ((1,), (2, 3, 5), (2, 3, 5), "NONE", ((0.01, 5), (0.02, -2), (0.008, 0))),
    ((2, 1, 3, 1, 2, 4), (3, 3, 1, 1), (2, 1, 3, 3, 2, 4), "NONE", ((0.03, -1), (0.07, 20), (0.09, 0))),
]


@pytest.mark.parametrize("s1,s2,so,act,q", CASES_S8)
def test_sub_s8(s1, s2, so, act, q, tmp_path):
    model = binary_model("SUB", s1, s2, so, "s8", q, act=act)
    check_tflite(model, [q8(s1, RNG), q8(s2, RNG)], tmp_path)


def test_sub_s8_every_byte_pair(tmp_path):
    """All (q1, q2) pairs, with scales whose multipliers differ when computed in float instead of
    double (some TFLM versions do so for SUB; the oracle uses double)."""
    x1 = np.repeat(np.arange(-128, 128, dtype=np.int8), 256).reshape(1, 256, 256, 1)
    x2 = np.tile(np.arange(-128, 128, dtype=np.int8), 256).reshape(1, 256, 256, 1)
    q = ((0.064059205, 4), (0.027708884, -9), (0.005056379 * 30, 1))
    model = binary_model("SUB", x1.shape, x2.shape, x1.shape, "s8", q)
    check_tflite(model, [x1, x2], tmp_path)


def test_sub_s16(tmp_path):
    s = (2, 3, 7)
    q = ((0.0004, 0), (0.0003, 0), (0.0006, 0))
    model = binary_model("SUB", s, s, s, "s16", q)
    x1 = RNG.integers(-32768, 32768, size=s, dtype=np.int16)
    x2 = RNG.integers(-32768, 32768, size=s, dtype=np.int16)
    check_tflite(model, [x1, x2], tmp_path)


@pytest.mark.parametrize("s1,s2,act", [((1, 7, 7, 9), (1, 7, 7, 9), "NONE"),
                                       ((9,), (1, 4, 4, 9), "RELU")])
def test_sub_f32(s1, s2, act, tmp_path):
    so = tuple(np.broadcast_shapes(s1, s2))
    model = binary_model("SUB", s1, s2, so, "f32", act=act)
    x1 = (RNG.standard_normal(s1) * 4).astype(np.float32)
    x2 = (RNG.standard_normal(s2) * 4).astype(np.float32)
    check_tflite(model, [x1, x2], tmp_path)
