"""SPLIT and SPLIT_V through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_transpose import _input
from tests.tflite_builder import T, single_op


def _i32(v):
    return T((len(v),), "s32", data=np.array(v, dtype=np.int32))


def _outs(dtype, shape, axis, sizes, q):
    qa = dict(scale=q[0], zero_point=q[1]) if q else {}
    ax = axis % len(shape)
    return [T(tuple(s if k == ax else d for k, d in enumerate(shape)), dtype, **qa) for s in sizes], qa


CASES = [
    # op, dtype, shape, axis, sizes (SPLIT: equal parts), quantization
    ("SPLIT", "s8", (1, 4, 4, 6), 3, [2, 2, 2], (0.05, -3)),
    ("SPLIT", "s8", (2, 6, 3), -2, [3, 3], (0.1, 10)),
    ("SPLIT", "s16", (4, 5), 0, [2, 2], (0.001, 0)),
    ("SPLIT", "f32", (1, 3, 3, 8), 3, [4, 4], None),
    ("SPLIT_V", "s8", (1, 5, 5, 10), 3, [1, 6, 3], (0.02, 5)),
    ("SPLIT_V", "f32", (3, 7, 2), 1, [2, 4, 1], None),
    ("SPLIT_V", "s32", (2, 9), 1, [5, 4], None),
]


@pytest.mark.parametrize("op,dtype,shape,axis,sizes,q", CASES)
def test_split(op, dtype, shape, axis, sizes, q, tmp_path):
    outs, qa = _outs(dtype, shape, axis, sizes, q)
    x = T(shape, dtype, **qa)
    if op == "SPLIT":
        model = single_op("SPLIT", [_i32([axis]), x], outs)
    else:
        model = single_op("SPLIT_V", [x, _i32(sizes[:-1] + [-1]), _i32([axis])], outs)
    check_tflite(model, [_input(dtype, shape, seed=sum(shape))], tmp_path)
