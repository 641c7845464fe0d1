"""SVDF (IR svdf): int8 with int16 or int8 state (bit-exact) and float32, over consecutive runs
that carry the variable state tensor, with a reset."""

import numpy as np
import pytest

from tests.ops.stateful import V, check_tflite_steps, single_stateful_op
from tests.tflite_builder import T


def _svdf_s8(rng, b, n_in, nf, nm, rank, state="s16", x_zp=3, s_zp=0, y_zp=-5, act="NONE"):
    units = nf // rank
    wt_max = 127 if state == "s8" else 32767
    x_scale, wf_scale, wt_scale = 0.04, 0.02, 1.0 / wt_max
    # scales that keep the state and the output mostly unsaturated (uniform data: std ~ max / 1.7)
    feature_std = np.sqrt(n_in) * (74 * x_scale) * (73 * wf_scale)
    st_scale = 3 * feature_std / wt_max
    y_scale = 3 * np.sqrt(nm * rank) * feature_std * (wt_max / 1.7 * wt_scale) / 128
    ins = [
        T((b, n_in), "s8", scale=x_scale, zero_point=x_zp, name="x"),
        T((nf, n_in), "s8", scale=wf_scale, data=rng.integers(-127, 128, (nf, n_in)), name="wf"),
        T((nf, nm), state, scale=wt_scale, data=rng.integers(-wt_max, wt_max + 1, (nf, nm)), name="wt"),
        T((units,), "s32", scale=st_scale * wt_scale, data=rng.integers(-5000, 5000, units), name="bias"),
        V((b, nf * nm), state, scale=st_scale, zero_point=s_zp, variable=True, name="state"),
    ]
    out = T((b, units), "s8", scale=y_scale, zero_point=y_zp, name="y")
    return single_stateful_op("SVDF", ins, [out], rank=rank, fused_activation_function=act)


def _svdf_f32(rng, b, n_in, nf, nm, rank, act="NONE"):
    units = nf // rank
    ins = [
        T((b, n_in), "f32", name="x"),
        T((nf, n_in), "f32", data=rng.normal(0, 0.5, (nf, n_in)).astype(np.float32), name="wf"),
        T((nf, nm), "f32", data=rng.normal(0, 0.5, (nf, nm)).astype(np.float32), name="wt"),
        T((units,), "f32", data=rng.normal(0, 0.5, units).astype(np.float32), name="bias"),
        V((b, nf * nm), "f32", variable=True, name="state"),
    ]
    out = T((b, units), "f32", name="y")
    return single_stateful_op("SVDF", ins, [out], rank=rank, fused_activation_function=act)


CASES_S8 = [
    # b, n_in, n_filter, n_memory, rank, state dtype, x_zp, state_zp, y_zp, act
    (1, 16, 8, 5, 1, "s16", 3, 0, -5, "NONE"),
    (2, 10, 12, 4, 2, "s16", -128, 0, 10, "RELU"),
    (1, 40, 64, 8, 1, "s16", 0, 0, 0, "NONE"),
    (2, 9, 6, 3, 3, "s8", 5, -7, -2, "NONE"),
]


@pytest.mark.parametrize("case", CASES_S8, ids=[f"s8-{i}" for i in range(len(CASES_S8))])
def test_svdf_s8(case, tmp_path):
    b, n_in, nf, nm, rank, state, x_zp, s_zp, y_zp, act = case
    rng = np.random.default_rng(nf * 10 + nm)
    model = _svdf_s8(rng, b, n_in, nf, nm, rank, state, x_zp, s_zp, y_zp, act)
    steps = 2 * nm + 2  # long enough for the memory to fill up and roll over
    x = rng.integers(-128, 128, size=(steps, b, n_in)).astype(np.int8)
    got = check_tflite_steps(model, [x], steps, tmp_path, reset_at=(nm + 1,))
    assert len(np.unique(got[0])) > 8


@pytest.mark.parametrize("case", [(1, 7, 6, 4, 2, "NONE"), (3, 5, 8, 3, 1, "RELU6")], ids=["f32-0", "f32-1"])
def test_svdf_f32(case, tmp_path):
    b, n_in, nf, nm, rank, act = case
    rng = np.random.default_rng(nf + nm)
    model = _svdf_f32(rng, b, n_in, nf, nm, rank, act)
    steps = nm + 3
    x = rng.uniform(-1, 1, size=(steps, b, n_in)).astype(np.float32)
    check_tflite_steps(model, [x], steps, tmp_path, reset_at=(2,), atol=1e-5)
