"""`c_ident` and C literal formatting shared by the emitters."""

from __future__ import annotations

import re

import numpy as np


def c_ident(text: str, limit: int = 40) -> str:
    ident = re.sub(r"\W+", "_", text).strip("_")[:limit]
    return ident if ident and not ident[0].isdigit() else f"t_{ident}"


def c_float(v: float) -> str:
    v = float(v)
    if np.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    if np.isnan(v):
        return "NAN"
    text = repr(float(np.float32(v)))
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def c_array_body(arr: np.ndarray, per_line: int = 16) -> str:
    flat = arr.reshape(-1)
    if flat.dtype == np.float32:
        items = [c_float(v) for v in flat.tolist()]
    elif flat.dtype == np.bool_:
        items = [str(int(v)) for v in flat.tolist()]
    elif flat.dtype == np.int32:
        items = [str(v) if v != -2**31 else "(-2147483647 - 1)" for v in flat.tolist()]
    else:
        items = [str(v) for v in flat.tolist()]
    rows = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "    " + ",\n    ".join(rows)
