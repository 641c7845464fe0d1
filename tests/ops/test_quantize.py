"""QUANTIZE against TFLM: float -> int8 / int16 (rounding ties, saturation, huge values) and
every integer requantization pairing TFLM supports, several per model to keep the test fast."""

import numpy as np

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, build_model

N = 259  # not a multiple of the 4-wide blocks: the kernels' tails run too


def fan_out(src: T, dsts: list[T]) -> bytes:
    """One model input quantized to each of `dsts` (one QUANTIZE per output)."""
    tensors = [src] + dsts
    ops = [("QUANTIZE", [0], [i]) for i in range(1, len(tensors))]
    return build_model(ops, tensors, [0], list(range(1, len(tensors))))


def test_float_to_int(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((1, N)) * 4).astype(np.float32)
    scale = np.float32(0.05)
    x[0, :8] = (0.5, 1.5, -0.5, -2.5, 127.5, -128.5, 1e12, -1e12)
    x[0, 8:16] = (np.arange(8) - 4 + 0.5) * scale  # ties after division
    m = fan_out(T((1, N), "f32"), [T((1, N), "s8", 0.05, -3), T((1, N), "s8", 0.02, 120),
                                   T((1, N), "s16", 0.0005, 0), T((1, N), "s16", 0.01, -100)])
    check_tflite(m, [x], tmp_path)


def test_float_extremes(tmp_path):
    x = np.array([[np.inf, -np.inf, np.nan, 3e9, -3e9, 2.1e9, -2.2e9, 0, -np.nan, 2.5e9, 0.5]], np.float32)
    m = fan_out(T(x.shape, "f32"), [T(x.shape, "s8", 1.0, -5), T(x.shape, "s8", 1.0, 5),
                                    T(x.shape, "s16", 1.0, 0)])
    check_tflite(m, [x], tmp_path)


def test_from_int8(tmp_path):
    x = np.arange(-128, 131).astype(np.int8).reshape(1, N)  # wraps: every value
    m = fan_out(T((1, N), "s8", 0.05, -3), [
        T((1, N), "s8", 0.03, 7), T((1, N), "s8", 0.05, 10), T((1, N), "u8", 0.05, 125),
        T((1, N), "u8", 0.1, 128), T((1, N), "s16", 0.001, 0), T((1, N), "s32", 0.0001, 0)])
    check_tflite(m, [x], tmp_path)


def test_from_uint8(tmp_path):
    x = np.arange(0, N).astype(np.uint8).reshape(1, N)
    m = fan_out(T((1, N), "u8", 0.05, 128), [T((1, N), "s8", 0.05, 0), T((1, N), "s8", 0.07, -20)])
    check_tflite(m, [x], tmp_path)


def test_from_int16_and_int32(tmp_path):
    rng = np.random.default_rng(1)
    x16 = rng.integers(-32768, 32768, (1, N)).astype(np.int16)
    x32 = rng.integers(-2**31, 2**31, (1, N)).astype(np.int32)
    x32[0, :4] = (-2**31, 2**31 - 1, 0, -1)
    tensors = [T((1, N), "s16", 0.001, 0), T((1, N), "s32", 1e-5, 3),
               T((1, N), "s8", 0.2, -4), T((1, N), "s16", 0.0007, 0), T((1, N), "s32", 0.0001, 0),
               T((1, N), "s8", 0.05, 9), T((1, N), "s16", 0.0002, 0)]
    ops = [("QUANTIZE", [0], [2]), ("QUANTIZE", [0], [3]), ("QUANTIZE", [0], [4]),
           ("QUANTIZE", [1], [5]), ("QUANTIZE", [1], [6])]
    check_tflite(build_model(ops, tensors, [0, 1], [2, 3, 4, 5, 6]), [x16, x32], tmp_path)
