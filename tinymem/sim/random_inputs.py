"""`random_inputs`: seeded random model inputs covering each input's full quantized range."""

from __future__ import annotations

import numpy as np

from tinymem.ir.dtypes import np_dtype


def random_inputs(inputs: list[dict], n: int, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        sample = []
        for d in inputs:
            dt = np_dtype(d["dtype"])
            if np.issubdtype(dt, np.integer):
                info = np.iinfo(dt)
                sample.append(rng.integers(info.min, int(info.max) + 1, size=d["shape"], dtype=dt))
            elif dt == np.bool_:
                sample.append(rng.integers(0, 2, size=d["shape"]).astype(np.bool_))
            else:
                sample.append(rng.uniform(-1.0, 1.0, size=d["shape"]).astype(dt))
        samples.append(sample)
    return samples
