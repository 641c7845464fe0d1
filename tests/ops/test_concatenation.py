"""CONCATENATION through TFLM (oracle), the numpy reference and the generated C."""

import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_transpose import _input
from tests.tflite_builder import T, build_model, single_op
from tinymem.errors import UnsupportedOperatorError
from tinymem.frontend import load_model


def _model(dtype, shapes, axis, q=None, const=None):
    rank = len(shapes[0])
    ax = axis % rank
    oshape = list(shapes[0])
    oshape[ax] = sum(s[ax] for s in shapes)
    qa = dict(scale=q[0], zero_point=q[1]) if q else {}
    ins = [T(s, dtype, **qa) for s in shapes]
    if const is not None:  # one constant operand (weights in flash)
        ins[const] = T(shapes[const], dtype, **qa, data=_input(dtype, shapes[const], seed=99))
    return single_op("CONCATENATION", ins, [T(tuple(oshape), dtype, **qa)], axis=axis)


CASES = [
    # dtype, input shapes, axis, quantization, index of a constant input
    ("s8", [(1, 4, 4, 3), (1, 4, 4, 5)], 3, (0.05, -4), None),          # channels (short chunks)
    ("s8", [(1, 2, 5, 8), (1, 3, 5, 8), (1, 1, 5, 8)], -3, (0.1, 7), None),  # rows (long chunks)
    ("s8", [(2, 3), (2, 1), (2, 4)], 1, (0.02, 0), 1),
    ("s16", [(3, 2, 2), (3, 2, 2)], 0, (0.001, 0), None),               # outer 1: one memcpy each
    ("s32", [(2, 3, 1), (2, 3, 2)], 2, None, None),
    ("f32", [(1, 3, 3, 16), (1, 3, 3, 8), (1, 3, 3, 1), (1, 3, 3, 40)], 3, None, 2),
    ("f32", [(2, 2, 7), (2, 5, 7)], 1, None, None),
]


@pytest.mark.parametrize("dtype,shapes,axis,q,const", CASES)
def test_concatenation(dtype, shapes, axis, q, const, tmp_path):
    model = _model(dtype, shapes, axis, q, const)
    inputs = [_input(dtype, s, seed=i + 3) for i, s in enumerate(shapes) if i != const]
    check_tflite(model, inputs, tmp_path)


def test_concatenation_same_input_twice(tmp_path):
    x = T((1, 2, 2, 3), "s8", scale=0.05, zero_point=1)
    y = T((1, 2, 2, 6), "s8", scale=0.05, zero_point=1)
    model = build_model([("CONCATENATION", [0, 0], [1], {"axis": 3})], [x, y], [0], [1])
    check_tflite(model, [_input("s8", (1, 2, 2, 3), seed=1)], tmp_path)


def test_concatenation_rejects_mixed_quantization(tmp_path):
    a, b = T((1, 2, 2, 3), "s8", scale=0.05, zero_point=1), T((1, 2, 2, 3), "s8", scale=0.1, zero_point=1)
    y = T((1, 2, 2, 6), "s8", scale=0.05, zero_point=1)
    path = tmp_path / "m.tflite"
    path.write_bytes(single_op("CONCATENATION", [a, b], [y], axis=3))
    with pytest.raises(UnsupportedOperatorError, match="quantization of"):
        load_model(path)
