"""MAX_POOL_2D through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_average_pool2d import _input, _model

CASES = [
    # dtype, shape, kernel, strides, padding, act
    ("s8", (1, 8, 8, 5), (2, 2), (2, 2), "VALID", "NONE"),
    ("s8", (2, 7, 9, 3), (3, 3), (2, 2), "SAME", "RELU"),
    ("s8", (1, 6, 5, 4), (3, 2), (1, 2), "SAME", "RELU6"),
    ("s16", (1, 7, 6, 3), (3, 3), (2, 1), "SAME", "NONE"),
    ("f32", (1, 9, 7, 3), (3, 3), (2, 2), "SAME", "NONE"),
    ("f32", (2, 6, 6, 4), (2, 3), (3, 1), "VALID", "RELU6"),
    ("f32", (1, 5, 8, 2), (4, 4), (1, 3), "SAME", "RELU_N1_TO_1"),
]


@pytest.mark.parametrize("dtype,shape,k,s,padding,act", CASES)
def test_max_pool2d(dtype, shape, k, s, padding, act, tmp_path):
    model = _model(dtype, shape, k, s, padding, act, op="MAX_POOL_2D")
    check_tflite(model, [_input(dtype, shape, seed=sum(shape) + 1)], tmp_path)


def test_max_pool2d_all_negative_with_padding(tmp_path):
    # SAME padding must not let a padded "zero" win over all-negative windows
    x = np.full((1, 5, 5, 2), -100, dtype=np.int8)
    model = _model("s8", (1, 5, 5, 2), (3, 3), (2, 2), "SAME", "NONE", zp=0, op="MAX_POOL_2D")
    check_tflite(model, [x], tmp_path)
