"""`EpisodicMemory`: numpy reference of the memory head (bit for bit the C of runtime_c/kernels/tm_knn_*).

    mem = EpisodicMemory(slots=64, dim=64, dtype="s8", metric="l2", zero_point=-128)
    mem.write(embedding, label)            # False when full (the C returns TM_ERR_PARAM)
    label, distance = mem.classify(embedding)

Distances (runtime_c/include/tinymem/knn.h): int8 embeddings give int32 distances (squared L2;
cosine as 65536 * (1 - cos) with an exact integer square root), float embeddings float32
distances accumulated in element order with float32 rounding after every operation. Nearest slot
wins, ties go to the lowest slot.
"""

from __future__ import annotations

import math

import numpy as np


def distances(query: np.ndarray, keys: np.ndarray, dtype: str, metric: str, zero_point: int = 0) -> np.ndarray:
    """Distance of `query` [dim] to every row of `keys` [count, dim], as the C kernels compute it."""
    q, k = np.asarray(query).reshape(-1), np.asarray(keys).reshape(-1, np.asarray(query).size)
    if dtype == "s8":
        a, b = q.astype(np.int64), k.astype(np.int64)
        if metric == "l2":
            return ((a[None, :] - b) ** 2).sum(axis=1).astype(np.int32)
        a, b = a - zero_point, b - zero_point
        dot, nq, nk = (b * a[None, :]).sum(axis=1), int((a * a).sum()), (b * b).sum(axis=1)
        out = np.full(len(k), 65536, np.int64)
        for i in range(len(k)):
            if nq and nk[i]:
                root = math.isqrt(nq * int(nk[i]))
                out[i] = ((root - int(dot[i])) << 16) // root
        return out.astype(np.int32)
    if dtype != "f32":
        raise ValueError(f"embedding dtype {dtype} (s8 or f32)")
    q, k = q.astype(np.float32), k.astype(np.float32)
    f = np.float32
    if metric == "l2":
        acc = np.zeros(len(k), np.float32)
        for d in range(q.size):
            t = q[d] - k[:, d]
            acc = acc + t * t
        return acc
    nq = f(0)
    for d in range(q.size):
        nq = f(nq + f(q[d] * q[d]))
    dot = np.zeros(len(k), np.float32)
    nk = np.zeros(len(k), np.float32)
    for d in range(q.size):
        dot = dot + q[d] * k[:, d]
        nk = nk + k[:, d] * k[:, d]
    out = np.ones(len(k), np.float32)
    ok = (nk != 0) & (nq != 0)
    norm = np.sqrt(nq).astype(np.float32) * np.sqrt(nk).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[ok] = f(1) - (dot[ok] / norm[ok]).astype(np.float32)
    return out


class EpisodicMemory:
    """The memory head's slots (fail when full, like the generated C)."""

    def __init__(self, slots: int, dim: int, dtype: str = "s8", metric: str = "l2", zero_point: int = 0):
        if metric not in ("l2", "cosine"):
            raise ValueError(f"metric {metric!r} (l2 or cosine)")
        self.slots, self.dim, self.dtype, self.metric, self.zero_point = slots, dim, dtype, metric, zero_point
        self.keys = np.zeros((slots, dim), np.int8 if dtype == "s8" else np.float32)
        self.labels = np.zeros(slots, np.int32)
        self.count = 0

    def clear(self) -> None:
        self.keys[:] = 0
        self.labels[:] = 0
        self.count = 0

    def write(self, embedding: np.ndarray, label: int) -> bool:
        if self.count >= self.slots:
            return False
        self.keys[self.count] = np.asarray(embedding).reshape(-1)
        self.labels[self.count] = label
        self.count += 1
        return True

    def classify(self, embedding: np.ndarray) -> tuple[int, int | float]:
        """(label, distance) of the nearest slot; (-1, None) when the memory is empty."""
        if self.count == 0:
            return -1, None
        dist = distances(embedding, self.keys[:self.count], self.dtype, self.metric, self.zero_point)
        best = int(np.argmin(dist))  # first minimum: the lowest slot wins ties
        value = dist[best]
        return int(self.labels[best]), (int(value) if self.dtype == "s8" else float(value))
