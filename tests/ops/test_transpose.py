"""TRANSPOSE through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import assert_close, check_tflite, run_compiled
from tests.tflite_builder import T, single_op
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.ops.transpose import strided_copy
from tinymem.sim.interpret import interpret


def check_numpy(model: bytes, inputs, expected, tmp_path):
    """For cases TFLM cannot run: reference and generated C against an expected numpy result."""
    path = tmp_path / "model.tflite"
    path.write_bytes(model)
    ref = interpret(canonicalize(load_model(path)), inputs)
    got = run_compiled(path, inputs, tmp_path / "out")
    for i, want in enumerate(expected):
        assert_close(ref[i], want, 0.0, f"numpy reference vs expected, output {i}")
        assert_close(got[i], want, 0.0, f"generated C vs expected, output {i}")


def _input(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype == "f32":
        return rng.standard_normal(shape).astype(np.float32)
    info = np.iinfo({"s8": np.int8, "s16": np.int16, "s32": np.int32}[dtype])
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(info.dtype)


CASES = [
    # dtype, shape, perm
    ("s8", (1, 6, 7, 5), [0, 3, 1, 2]),        # NHWC -> NCHW
    ("s8", (2, 5, 3, 4), [0, 2, 3, 1]),
    ("s8", (9, 13), [1, 0]),
    ("s16", (3, 4, 5), [2, 0, 1]),
    ("f32", (2, 3, 4, 5), [3, 2, 1, 0]),
    ("f32", (2, 3, 1, 4, 5), [4, 0, 2, 3, 1]),
    ("f32", (4, 1, 6), [1, 0, 2]),              # only a size-1 axis moves: one contiguous copy
]


@pytest.mark.parametrize("dtype,shape,perm", CASES)
def test_transpose(dtype, shape, perm, tmp_path):
    oshape = tuple(shape[p] for p in perm)
    model = single_op("TRANSPOSE", [T(shape, dtype), T((len(perm),), "s32", data=np.array(perm, np.int32))],
                      [T(oshape, dtype)])
    check_tflite(model, [_input(dtype, shape, seed=len(shape) * 7 + sum(perm))], tmp_path)


def test_strided_copy_merges_contiguous_dims():
    # (4, 1, 6) with perm [1, 0, 2] is a dense copy of 24 elements
    assert strided_copy([1, 4, 6], [24, 6, 1]) == "{{1, 1, 1, 1, 1, 24}, {0, 0, 0, 0, 0, 1}, 0}"
    # NHWC -> NCHW of (1, 2, 3, 4): output (1, 4, 2, 3) reads strides (., 1, 12, 4); H, W merge
    assert strided_copy([1, 4, 2, 3], [24, 1, 12, 4]) == "{{1, 1, 1, 1, 4, 6}, {0, 0, 0, 0, 1, 4}, 0}"


@pytest.mark.parametrize("dtype,shape,perm", [
    ("f32", (2, 2, 3, 2, 3, 2), [5, 3, 1, 0, 2, 4]),  # rank 6 (TFLM stops at 5)
    ("s32", (2, 3, 4, 5), [3, 1, 2, 0]),              # int32 (TFLM: float32, int8, int16 only)
])
def test_transpose_beyond_tflm(dtype, shape, perm, tmp_path):
    oshape = tuple(shape[p] for p in perm)
    model = single_op("TRANSPOSE", [T(shape, dtype), T((len(perm),), "s32", data=np.array(perm, np.int32))],
                      [T(oshape, dtype)])
    x = _input(dtype, shape, seed=3)
    check_numpy(model, [x], [np.transpose(x, perm)], tmp_path)
