"""ADD through TFLM (oracle), the numpy reference and the generated C (ASan + UBSan)."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, single_op

RNG = np.random.default_rng(1234)


def q8(shape, rng=RNG):
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


def binary_model(op, s1, s2, so, dtype="s8", q=((0.05, 3), (0.02, -7), (0.06, 10)), const2=None,
                 act="NONE"):
    """A one-op model; input2 becomes a constant when const2 is given."""
    if dtype == "f32":
        ts = [T(s1, "f32"), T(s2, "f32", data=const2), T(so, "f32")]
    else:
        ts = [T(s, dtype, scale=sc, zero_point=zp, data=d)
              for s, (sc, zp), d in zip((s1, s2, so), q, (None, const2, None))]
    return single_op(op, ts[:2], ts[2:], fused_activation_function=act)


CASES_S8 = [
    # shape1, shape2, output, activation, quantization (scale, zero point) of in1, in2, out
    ((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16), "NONE", ((0.05, 3), (0.02, -7), (0.06, 10))),
    ((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16), "RELU", ((0.02, -128), (0.02, -128), (0.03, -128))),
    ((1, 4, 4, 16), (16,), (1, 4, 4, 16), "NONE", ((0.05, 3), (0.02, -7), (0.06, 10))),
    ((1,), (2, 3, 5), (2, 3, 5), "RELU_N1_TO_1", ((0.01, 5), (0.02, -2), (0.008, 0))),
    ((1, 4, 1, 3), (2, 1, 5, 1), (2, 4, 5, 3), "NONE", ((0.03, -1), (0.07, 20), (0.09, 0))),
    ((2, 1, 3, 1, 2, 4), (3, 3, 1, 1), (2, 1, 3, 3, 2, 4), "NONE", ((0.03, -1), (0.07, 20), (0.09, 0))),
    # output multiplier >= 0.5: requantization without a right shift
    ((1, 4, 8), (1, 4, 8), (1, 4, 8), "NONE", ((0.5, 0), (0.45, 3), (1e-6, 0))),
]


@pytest.mark.parametrize("s1,s2,so,act,q", CASES_S8)
def test_add_s8(s1, s2, so, act, q, tmp_path):
    model = binary_model("ADD", s1, s2, so, "s8", q, act=act)
    check_tflite(model, [q8(s1), q8(s2)], tmp_path)


def test_add_s8_constant_channel_vector(tmp_path):
    bias = q8((8,))
    model = binary_model("ADD", (1, 3, 3, 8), (8,), (1, 3, 3, 8), "s8", const2=bias)
    check_tflite(model, [q8((1, 3, 3, 8))], tmp_path)


def test_add_s8_every_byte_pair(tmp_path):
    """All 65536 (q1, q2) pairs: the tabulated input stage covers every byte."""
    x1 = np.repeat(np.arange(-128, 128, dtype=np.int8), 256).reshape(1, 256, 256, 1)
    x2 = np.tile(np.arange(-128, 128, dtype=np.int8), 256).reshape(1, 256, 256, 1)
    model = binary_model("ADD", x1.shape, x2.shape, x1.shape, "s8", ((0.0173, 11), (0.0391, -93), (0.047, -5)))
    check_tflite(model, [x1, x2], tmp_path)


def test_add_s16(tmp_path):
    s = (1, 6, 6, 5)
    q = ((0.0005, 0), (0.0002, 0), (0.0007, 0))
    model = binary_model("ADD", s, (5,), s, "s16", q, act="RELU")
    x1 = RNG.integers(-32768, 32768, size=s, dtype=np.int16)
    x2 = RNG.integers(-32768, 32768, size=(5,), dtype=np.int16)
    check_tflite(model, [x1, x2], tmp_path)


@pytest.mark.parametrize("s1,s2,act", [((1, 7, 7, 9), (1, 7, 7, 9), "NONE"),
                                       ((3, 1, 5), (2, 1, 6, 1), "RELU6")])
def test_add_f32(s1, s2, act, tmp_path):
    so = tuple(np.broadcast_shapes(s1, s2))
    model = binary_model("ADD", s1, s2, so, "f32", act=act)
    x1 = (RNG.standard_normal(s1) * 4).astype(np.float32)
    x2 = (RNG.standard_normal(s2) * 4).astype(np.float32)
    check_tflite(model, [x1, x2], tmp_path)


# ---- the compile-time broadcast plan (pure Python) ---------------------------------------------

def test_broadcast_plan_collapses_common_cases():
    from tinymem.ops._elementwise import broadcast_plan

    assert broadcast_plan((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16)) == ([1024], [1], [1])
    assert broadcast_plan((1, 8, 8, 16), (16,), (1, 8, 8, 16)) == ([64, 16], [16, 1], [0, 1])
    assert broadcast_plan((1, 8, 8, 16), (1,), (1, 8, 8, 16)) == ([1024], [1], [0])
    assert broadcast_plan((1, 8, 8, 1), (1, 1, 1, 16), (1, 8, 8, 16)) == ([64, 16], [1, 0], [0, 1])


@pytest.mark.parametrize("seed", range(5))
def test_broadcast_plan_walk_matches_numpy(seed):
    """Walking the plan like the C odometer gives numpy's broadcast of the flat inputs."""
    from tinymem.ops._elementwise import broadcast_plan

    rng = np.random.default_rng(seed)
    out = tuple(int(d) for d in rng.integers(1, 4, size=rng.integers(1, 7)))
    s1 = tuple(d if rng.random() < 0.6 else 1 for d in out[rng.integers(0, len(out)):])
    s2 = tuple(d if rng.random() < 0.6 else 1 for d in out)
    out = tuple(np.broadcast_shapes(s1, s2))
    a = np.arange(int(np.prod(s1))).reshape(s1)
    b = np.arange(int(np.prod(s2))).reshape(s2) * 1000
    shape, st1, st2 = broadcast_plan(s1, s2, out)
    got = []
    for idx in np.ndindex(*shape):
        got.append(a.flat[sum(i * s for i, s in zip(idx, st1))] + b.flat[sum(i * s for i, s in zip(idx, st2))])
    np.testing.assert_array_equal(np.array(got), (a + b).reshape(-1))
