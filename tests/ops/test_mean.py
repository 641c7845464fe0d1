"""MEAN through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, single_op
from tinymem.errors import UnsupportedOperatorError
from tinymem.frontend import load_model


def _model(dtype, shape, axes, keep, q_in=None, q_out=None):
    rank = len(shape)
    res = sorted({a % rank for a in axes})
    oshape = tuple(1 if a in res else d for a, d in enumerate(shape)) if keep else \
        tuple(d for a, d in enumerate(shape) if a not in res)
    axis = T((len(axes),), "s32", data=np.array(axes, dtype=np.int32))
    qi = dict(zip(("scale", "zero_point"), q_in)) if q_in else {}
    qo = dict(zip(("scale", "zero_point"), q_out)) if q_out else {}
    return single_op("MEAN", [T(shape, dtype, **qi), axis], [T(oshape, dtype, **qo)], keep_dims=keep)


def _input(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype == "f32":
        return (rng.standard_normal(shape) * 4 + 1).astype(np.float32)
    info = np.iinfo(np.int8 if dtype == "s8" else np.int16)
    return rng.integers(info.min, info.max + 1, shape).astype(info.dtype)


CASES = [
    # dtype, shape, axes, keep_dims, input quant, output quant
    ("s8", (1, 7, 7, 24), [1, 2], True, (0.05, -3), (0.05, -3)),     # equal quantization
    ("s8", (2, 5, 6, 8), [2, 1], False, (0.05, -3), (0.05, -3)),
    ("s8", (1, 7, 7, 40), [1, 2], True, (0.05, -3), (0.02, 10)),     # requantized
    ("s8", (2, 4, 5, 3), [-3, -2], False, (0.1, 20), (0.004, -100)),  # saturates both ways
    ("s8", (1, 3, 4, 10), [3], True, (0.05, 5), (0.03, -2)),         # last axis (inner 1)
    ("s16", (1, 6, 6, 5), [1, 2], True, (0.001, 0), (0.0007, 0)),
    ("f32", (1, 8, 8, 16), [1, 2], True, None, None),                # TFLM's 4-D special case
    ("f32", (2, 5, 3, 7), [1, 2], False, None, None),
    ("f32", (3, 4, 10), [0], False, None, None),
]


@pytest.mark.parametrize("dtype,shape,axes,keep,q_in,q_out", CASES)
def test_mean(dtype, shape, axes, keep, q_in, q_out, tmp_path):
    model = _model(dtype, shape, axes, keep, q_in, q_out)
    check_tflite(model, [_input(dtype, shape, seed=len(shape) + sum(shape))], tmp_path)


def test_mean_non_contiguous_axes_is_unsupported(tmp_path):
    from tinymem.compile import compile_model

    path = tmp_path / "m.tflite"
    path.write_bytes(_model("f32", (2, 3, 4, 5), [1, 3], True))
    assert load_model(path).nodes[0].attrs == {"axes": [1, 3], "keep_dims": True}
    with pytest.raises(UnsupportedOperatorError, match=r"axes \[1, 3\]"):
        compile_model(path, tmp_path / "out")
