"""`activation_range`: the output clamp of a fused activation, as TFLite computes it."""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ir import Tensor

_QRANGE = {"s8": (-128, 127), "u8": (0, 255), "s16": (-32768, 32767), "s32": (-2**31, 2**31 - 1)}
_REAL = {"none": (None, None), "relu": (0.0, None), "relu6": (0.0, 6.0), "relu_n1_to_1": (-1.0, 1.0)}


def _check(act: str) -> tuple:
    if act not in _REAL:
        raise UnsupportedOperatorError(f"fused activation {act!r} is not supported "
                                       f"(supported: {', '.join(_REAL)})")
    return _REAL[act]


def activation_range(act: str, out: Tensor) -> tuple[int, int] | tuple[float, float]:
    """(min, max) clamp for the output tensor: quantized ints for integer tensors, else floats."""
    lo, hi = _check(act)
    if out.dtype == "f32":
        return (-np.inf if lo is None else lo, np.inf if hi is None else hi)
    qmin, qmax = _QRANGE[out.dtype]
    scale, zp = np.float32(out.scale), out.zero_point

    def quantize(v: float) -> int:  # TFLite: zero_point + round(f / scale) in float32
        q = float(np.float32(v) / scale)  # the division in float32, the rounding exact (std::round)
        return zp + int(np.sign(q) * np.floor(abs(q) + 0.5))

    amin = qmin if lo is None else max(qmin, quantize(lo))
    amax = qmax if hi is None else min(qmax, quantize(hi))
    return amin, amax


def clamp(x: np.ndarray, rng: tuple) -> np.ndarray:
    return np.minimum(np.maximum(x, rng[0]), rng[1])
