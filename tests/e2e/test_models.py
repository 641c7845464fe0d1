"""Whole shared models: generated C vs the reference runtime (TFLM; LiteRT reference kernels for
the hybrid KWS float model, which TFLM cannot allocate).

Integer models must be bit-identical on 20 seeded random inputs plus every MLPerf stimulus;
float models within 1e-4 max abs.
"""

import pytest

from tinymem.verify import verify_model

INT8 = [
    ("mlperf_kws_dscnn_int8", "mlperf/kws01"),
    ("mlperf_vww_mbv1_int8", "mlperf/vww01"),
    ("mlperf_ic_resnet8_int8", "mlperf/ic01"),
    ("mlperf_ad_autoenc_int8", "mlperf/ad01"),
    ("tflm_hello_world_int8", None),
    ("tflm_micro_speech_int8", None),
    ("te_mnist_lenet300_int8", None),
    ("tflm_simple_add", None),
]
FLOAT = ["mlperf_kws_dscnn_f32", "mlperf_vww_mbv1_f32", "mlperf_ic_resnet8_f32", "mlperf_ad_autoenc_f32",
         "tflm_hello_world_f32"]


def _check(result):
    for o in result.outputs:
        assert o.differing == 0, (f"{o.name}: {o.differing}/{o.elements} elements beyond {o.tolerance} "
                                  f"(max |diff| {o.max_abs_diff}, first in {o.first_bad_sample})")


@pytest.mark.parametrize("model,data", INT8, ids=[m for m, _ in INT8])
def test_int8_model_bit_exact(shared, model, data):
    result = verify_model(shared / "models" / f"{model}.tflite", n_random=20,
                          data=shared / "data" / data if data else None)
    assert result.reference == "tflm"
    _check(result)
    # bit-identical, also for float outputs computed after a DEQUANTIZE (LeNet's LOG_SOFTMAX)
    assert all(o.max_abs_diff == 0 for o in result.outputs), [(o.name, o.max_abs_diff) for o in result.outputs]


@pytest.mark.parametrize("model", FLOAT)
def test_float_model_within_1e4(shared, model):
    result = verify_model(shared / "models" / f"{model}.tflite", n_random=20, atol=1e-4)
    expected = "litert-builtin-ref" if model == "mlperf_kws_dscnn_f32" else "tflm"
    assert result.reference == expected
    _check(result)
