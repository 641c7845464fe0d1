"""UNIDIRECTIONAL_SEQUENCE_LSTM (IR lstm): int8 with int16 cell state (bit-exact) and float32,
over several consecutive runs that carry the variable state tensors, with a reset."""

import numpy as np
import pytest

from tests.ops.stateful import V, check_tflite_steps, single_stateful_op
from tests.tflite_builder import T
from tinymem.ops.lstm import sigmoid_s16, tanh_s16


def _lstm_s8(rng, b, t, n_in, n, cell_power, time_major=False, x_zp=-3, h_zp=0, h_scale=1 / 128,
             clip=0.0, act="TANH"):
    x_scale = 0.05
    w_scales = rng.uniform(0.01, 0.03, size=8)
    ins = [T((t, b, n_in) if time_major else (b, t, n_in), "s8", scale=x_scale, zero_point=x_zp, name="x")]
    for k in range(4):
        ins.append(T((n, n_in), "s8", scale=w_scales[k], data=rng.integers(-127, 128, (n, n_in)), name=f"w{k}"))
    for k in range(4):
        ins.append(T((n, n), "s8", scale=w_scales[4 + k], data=rng.integers(-127, 128, (n, n)), name=f"r{k}"))
    ins += [None, None, None]
    for k in range(4):
        bs = x_scale * w_scales[k]
        ins.append(T((n,), "s32", scale=bs, data=rng.integers(-2000, 2000, n), name=f"b{k}"))
    ins += [None, None]
    ins.append(V((b, n), "s8", scale=h_scale, zero_point=h_zp, variable=True, name="h"))
    ins.append(V((b, n), "s16", scale=2.0 ** cell_power, zero_point=0, variable=True, name="c"))
    ins += [None] * 4
    out = T((t, b, n) if time_major else (b, t, n), "s8", scale=h_scale, zero_point=h_zp, name="y")
    return single_stateful_op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [out], fused_activation_function=act,
                              cell_clip=clip, proj_clip=0.0, time_major=time_major)


def _lstm_f32(rng, b, t, n_in, n, time_major=False, clip=0.0, act="TANH"):
    ins = [T((t, b, n_in) if time_major else (b, t, n_in), "f32", name="x")]
    for k in range(8):
        shape = (n, n_in) if k < 4 else (n, n)
        ins.append(T(shape, "f32", data=rng.normal(0, 0.4, shape).astype(np.float32), name=f"w{k}"))
    ins += [None, None, None]
    for k in range(4):
        ins.append(T((n,), "f32", data=rng.normal(0, 0.3, n).astype(np.float32), name=f"b{k}"))
    ins += [None, None]
    ins.append(V((b, n), "f32", variable=True, name="h"))
    ins.append(V((b, n), "f32", variable=True, name="c"))
    ins += [None] * 4
    out = T((t, b, n) if time_major else (b, t, n), "f32", name="y")
    return single_stateful_op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [out], fused_activation_function=act,
                              cell_clip=clip, proj_clip=0.0, time_major=time_major)


CASES_S8 = [
    # b, t, n_in, n, cell power, time_major, x_zp, h_zp, clip, cell activation
    (1, 5, 8, 6, -12, False, -3, 0, 0.0, "TANH"),
    (2, 4, 7, 5, -11, False, 10, 5, 3.0, "TANH"),
    (3, 3, 9, 4, -15, True, -128, -20, 0.0, "TANH"),
    (1, 6, 28, 20, -10, False, 0, 0, 1.5, "TANH"),
    (2, 3, 17, 33, -13, True, 7, 3, 0.0, "TANH"),
]


@pytest.mark.parametrize("case", CASES_S8, ids=[f"s8-{i}" for i in range(len(CASES_S8))])
def test_lstm_s8(case, tmp_path):
    b, t, n_in, n, p, tm, x_zp, h_zp, clip, act = case
    rng = np.random.default_rng(abs(p) * 100 + n)
    model = _lstm_s8(rng, b, t, n_in, n, p, tm, x_zp, h_zp, clip=clip, act=act)
    shape = (t, b, n_in) if tm else (b, t, n_in)
    steps = 4
    x = rng.integers(-128, 128, size=(steps, *shape)).astype(np.int8)
    got = check_tflite_steps(model, [x], steps, tmp_path, reset_at=(2,))
    assert len(np.unique(got[0])) > 10  # the outputs are not all saturated


@pytest.mark.parametrize("case", [(1, 5, 6, 7, False, 0.0, "TANH"), (3, 4, 5, 9, True, 0.8, "TANH")],
                         ids=["f32-0", "f32-1"])
def test_lstm_f32(case, tmp_path):
    b, t, n_in, n, tm, clip, act = case
    rng = np.random.default_rng(n)
    model = _lstm_f32(rng, b, t, n_in, n, tm, clip, act)
    steps = 3
    x = rng.uniform(-2, 2, size=(steps, *((t, b, n_in) if tm else (b, t, n_in)))).astype(np.float32)
    check_tflite_steps(model, [x], steps, tmp_path, reset_at=(1,), atol=1e-5)


def test_int16_activations_match_float():
    """The int16 sigmoid / tanh tables stay within a few LSB of the real functions (sanity check of
    the transcribed table; bit-exactness is checked against TFLM above)."""
    x = np.arange(-32768, 32768)
    s = sigmoid_s16(x) / 32768.0
    assert np.abs(s - 1 / (1 + np.exp(-x / 4096.0))).max() < 2e-4
    th = tanh_s16(x, 0, 0) / 32768.0
    assert np.abs(th - np.tanh(x / 4096.0)).max() < 3e-4
