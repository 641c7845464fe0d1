"""PAD / PADV2 through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, single_op
from tinymem.ops.pad import canonical_pads


def _input(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype == "f32":
        return rng.standard_normal(shape).astype(np.float32)
    info = np.iinfo({"s8": np.int8, "s16": np.int16, "s32": np.int32}[dtype])
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(info.dtype)


def _model(op, dtype, shape, pads, value=None, q=None):
    oshape = tuple(d + b + a for d, (b, a) in zip(shape, pads))
    qa = dict(scale=q[0], zero_point=q[1]) if q else {}
    ins = [T(shape, dtype, **qa), T((len(shape), 2), "s32", data=np.array(pads, dtype=np.int32))]
    if value is not None:
        ins.append(T((1,), dtype, **qa, data=np.array([value])))
    return single_op(op, ins, [T(oshape, dtype, **qa)])


CASES = [
    # op, dtype, shape, pads, constant value, quantization
    ("PAD", "s8", (1, 5, 6, 3), [[0, 0], [1, 2], [2, 1], [0, 0]], None, (0.05, -7)),  # zero point
    ("PAD", "s8", (2, 3, 4, 5), [[1, 0], [0, 0], [0, 3], [2, 1]], None, (0.05, 100)),
    ("PADV2", "s8", (1, 4, 4, 2), [[0, 0], [1, 1], [1, 1], [0, 0]], -128, (0.1, 3)),
    ("PAD", "f32", (1, 4, 5, 3), [[0, 0], [1, 1], [2, 2], [0, 0]], None, None),
    ("PADV2", "f32", (3, 7), [[2, 1], [0, 4]], -1.5, None),
    ("PAD", "s16", (2, 3, 5), [[0, 1], [1, 0], [3, 3]], None, None),
    ("PADV2", "s32", (4, 3, 2), [[0, 0], [2, 0], [0, 1]], 123456789, None),
    ("PAD", "f32", (1, 3, 3, 4), [[0, 0], [0, 0], [0, 0], [0, 0]], None, None),  # a plain copy
]


@pytest.mark.parametrize("op,dtype,shape,pads,value,q", CASES)
def test_pad(op, dtype, shape, pads, value, q, tmp_path):
    model = _model(op, dtype, shape, pads, value, q)
    check_tflite(model, [_input(dtype, shape, seed=sum(shape))], tmp_path)


def test_canonical_pads_merges_unpadded_dims():
    # NHWC padding of H and W only: C merges into W, N (size 1) disappears
    dims, before, after = canonical_pads((1, 5, 6, 3), [[0, 0], [1, 2], [2, 1], [0, 0]])
    assert dims == [1, 1, 1, 1, 5, 18] and before == [0, 0, 0, 0, 1, 6] and after == [0, 0, 0, 0, 2, 3]
    assert canonical_pads((2, 3), [[0, 0], [0, 0]]) == ([1, 1, 1, 1, 1, 6], [0] * 6, [0] * 6)
