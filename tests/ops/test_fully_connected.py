"""FULLY_CONNECTED through TFLM (oracle), the numpy reference and the generated C (ASan + UBSan)."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, single_op

RNG = np.random.default_rng(2024)


def fc_model_s8(in_shape, out_features, per_channel=False, bias=True, act="NONE", w_zp=0,
                keep_num_dims=False, const_weights=True, in_q=(0.04, -5), out_q=(0.08, 7)):
    depth = in_shape[-1]
    w = RNG.integers(-128, 128, size=(out_features, depth), dtype=np.int8)
    w_scale = (RNG.uniform(0.002, 0.02, out_features).astype(np.float32).tolist() if per_channel
               else 0.01)
    b_scale = (np.float32(in_q[0]) * np.asarray(w_scale, dtype=np.float32)).tolist()
    bvals = RNG.integers(-20000, 20000, size=(out_features,), dtype=np.int32)
    out_shape = (tuple(in_shape[:-1]) + (out_features,) if keep_num_dims
                 else (int(np.prod(in_shape[:-1])), out_features))
    inputs = [T(in_shape, "s8", scale=in_q[0], zero_point=in_q[1]),
              T(w.shape, "s8", scale=w_scale, zero_point=w_zp, data=w if const_weights else None),
              T((out_features,), "s32", scale=b_scale, zero_point=0, data=bvals) if bias else None]
    model = single_op("FULLY_CONNECTED", inputs, [T(out_shape, "s8", scale=out_q[0], zero_point=out_q[1])],
                      fused_activation_function=act, keep_num_dims=keep_num_dims)
    return model, w


def q8(shape):
    return RNG.integers(-128, 128, size=shape, dtype=np.int8)


@pytest.mark.parametrize("in_shape,out,per_channel,bias,act", [
    ((1, 40), 9, False, True, "NONE"),       # depth with a tail, odd number of outputs
    ((3, 100), 16, False, False, "RELU"),    # batches, no bias
    ((2, 64), 12, True, True, "RELU6"),      # per-channel weights
    ((1, 33), 5, True, False, "NONE"),       # per-channel, no bias
    ((1, 2, 2, 12), 6, False, True, "RELU_N1_TO_1"),  # 4-D input flattened to [1, 48]
])
def test_fc_s8(in_shape, out, per_channel, bias, act, tmp_path):
    model, _ = fc_model_s8(in_shape, out, per_channel, bias, act)
    check_tflite(model, [q8(in_shape)], tmp_path)


@pytest.mark.parametrize("per_channel", [False, True])
def test_fc_s8_weight_zero_point(per_channel, tmp_path):
    """Weights with a zero point: TFLM's per-tensor kernel applies it, the per-channel one
    ignores it (per-channel weights are symmetric by the quantization spec)."""
    model, _ = fc_model_s8((2, 37), 7, per_channel=per_channel, w_zp=9, in_q=(0.05, 100))
    check_tflite(model, [q8((2, 37))], tmp_path)


def test_fc_s8_keep_num_dims(tmp_path):
    model, _ = fc_model_s8((2, 3, 20), 7, keep_num_dims=True)
    check_tflite(model, [q8((2, 3, 20))], tmp_path)


def test_fc_s8_weights_at_run_time(tmp_path):
    """Non-constant weights: no folding, the kernel applies the input offset itself."""
    model, w = fc_model_s8((1, 24), 6, w_zp=-3, in_q=(0.05, -100), const_weights=False)
    check_tflite(model, [q8((1, 24)), w], tmp_path)


def test_fc_s8_extreme_offsets(tmp_path):
    """Input zero point -128 and all -128 inputs/weights: the largest folded terms."""
    model, w = fc_model_s8((1, 48), 4, in_q=(0.02, 127))
    x = np.full((1, 48), -128, dtype=np.int8)
    check_tflite(model, [x], tmp_path)


@pytest.mark.parametrize("in_shape,out,bias,act,keep", [((1, 70), 10, True, "RELU", False),
                                                       ((4, 2, 16), 3, False, "NONE", True)])
def test_fc_f32(in_shape, out, bias, act, keep, tmp_path):
    depth = in_shape[-1]
    w = RNG.standard_normal((out, depth)).astype(np.float32)
    b = RNG.standard_normal(out).astype(np.float32)
    out_shape = tuple(in_shape[:-1]) + (out,) if keep else (int(np.prod(in_shape[:-1])), out)
    model = single_op("FULLY_CONNECTED",
                      [T(in_shape, "f32"), T(w.shape, "f32", data=w), T((out,), "f32", data=b) if bias else None],
                      [T(out_shape, "f32")], fused_activation_function=act, keep_num_dims=keep)
    check_tflite(model, [RNG.standard_normal(in_shape).astype(np.float32)], tmp_path, atol=1e-4)
