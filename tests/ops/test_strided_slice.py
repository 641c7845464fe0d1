"""STRIDED_SLICE and SLICE through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_transpose import _input, check_numpy
from tests.tflite_builder import T, single_op
from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.strided_slice import resolve_strided_slice, slice_counts


def _i32(v):
    return T((len(v),), "s32", data=np.array(v, dtype=np.int32))


def _strided_model(dtype, shape, begin, end, strides, oshape, **masks):
    return single_op("STRIDED_SLICE", [T(shape, dtype), _i32(begin), _i32(end), _i32(strides)],
                     [T(oshape, dtype)], **masks)


CASES = [
    # dtype, shape, begin, end, strides, masks, output shape
    ("s8", (1, 8, 8, 6), [0, 1, 0, 2], [1, 7, 8, 5], [1, 2, 3, 1], {}, (1, 3, 3, 3)),
    ("s8", (2, 5, 7, 4), [0, -1, 6, 3], [2, -6, 0, 0], [1, -1, -2, -1], {}, (2, 5, 3, 3)),  # negative
    ("s8", (3, 6, 4), [1, 0, 0], [0, 0, 0], [1, 1, 1],
     dict(begin_mask=0b110, end_mask=0b111), (2, 6, 4)),
    ("s16", (4, 6, 5), [2, -2, 0], [3, 0, 5], [1, 1, 2],
     dict(shrink_axis_mask=0b011), (3,)),                                  # shrink two axes
    ("f32", (2, 9, 5, 3), [0, 2, 0, 0], [2, 9, 5, 3], [1, 3, 1, 1], dict(end_mask=0b1111), (2, 3, 5, 3)),
    ("f32", (5, 7), [-100, 100], [100, -100], [2, -3], {}, (3, 3)),        # clamped out-of-range
    ("f32", (1, 4, 4, 8), [0, 0, 0, 0], [1, 4, 4, 8], [1, 1, 1, 1], {}, (1, 4, 4, 8)),  # a copy
]


@pytest.mark.parametrize("dtype,shape,begin,end,strides,masks,oshape", CASES)
def test_strided_slice(dtype, shape, begin, end, strides, masks, oshape, tmp_path):
    model = _strided_model(dtype, shape, begin, end, strides, oshape, **masks)
    check_tflite(model, [_input(dtype, shape, seed=sum(shape))], tmp_path)


@pytest.mark.parametrize("dtype,shape,begin,size", [
    ("s8", (1, 6, 7, 5), [0, 1, 2, 0], [1, 4, -1, 5]),
    ("f32", (4, 10), [1, 3], [2, 6]),
])
def test_slice(dtype, shape, begin, size, tmp_path):
    oshape = tuple(d - b if z == -1 else z for d, b, z in zip(shape, begin, size))
    model = single_op("SLICE", [T(shape, dtype), _i32(begin), _i32(size)], [T(oshape, dtype)])
    check_tflite(model, [_input(dtype, shape, seed=5)], tmp_path)


def test_ellipsis_and_new_axis_follow_tensorflow(tmp_path):
    # x[..., 1:3, tf.newaxis, ::-2] on a 4-D input (TFLM ignores these masks: numpy is the oracle)
    shape = (2, 3, 4, 5)
    x = _input("f32", shape, seed=9)
    want = x[..., 1:3, np.newaxis, ::-2]
    model = _strided_model("f32", shape, [0, 1, 0, 0], [0, 3, 0, 0], [1, 1, 1, -2], want.shape,
                           ellipsis_mask=0b0001, new_axis_mask=0b0100, begin_mask=0b1000, end_mask=0b1000)
    check_numpy(model, [x], [want], tmp_path)


def test_resolve_matches_numpy_slicing():
    rng = np.random.default_rng(0)
    for _ in range(300):
        size = int(rng.integers(1, 7))
        b, e = (int(v) for v in rng.integers(-9, 10, 2))
        s = int(rng.choice([-3, -2, -1, 1, 2, 3]))
        bm, em = (int(v) for v in rng.integers(0, 2, 2))
        attrs = resolve_strided_slice((size,), [b], [e], [s], begin_mask=bm, end_mask=em)
        want = np.arange(size)[slice(None if bm else b, None if em else e, s)]
        assert slice_counts(attrs) == [len(want)]
        if len(want):
            assert attrs["begin"][0] == want[0]


def test_shrink_with_negative_stride_is_rejected():
    with pytest.raises(UnsupportedOperatorError, match="negative stride"):
        resolve_strided_slice((4,), [1], [2], [-1], shrink_axis_mask=1)
