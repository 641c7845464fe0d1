"""The numpy memory head (tinymem.episodic.EpisodicMemory) against plain float64 math: the C is
checked bit for bit against it (tests/e2e/test_memory_head.py), so it must mean what it says."""

import numpy as np
import pytest

from tinymem.episodic import EpisodicMemory, distances


def test_int8_l2_is_the_exact_squared_distance():
    rng = np.random.default_rng(0)
    q, k = rng.integers(-128, 128, 300, dtype=np.int8), rng.integers(-128, 128, (20, 300), dtype=np.int8)
    want = [sum((int(a) - int(b)) ** 2 for a, b in zip(q, row)) for row in k]
    assert distances(q, k, "s8", "l2").tolist() == want


@pytest.mark.parametrize("zp", [-128, -7, 0, 100])
def test_int8_cosine_is_65536_times_one_minus_cos(zp):
    rng = np.random.default_rng(1)
    q, k = rng.integers(-128, 128, 64, dtype=np.int8), rng.integers(-128, 128, (30, 64), dtype=np.int8)
    a, b = q.astype(np.float64) - zp, k.astype(np.float64) - zp
    cos = b @ a / (np.linalg.norm(a) * np.linalg.norm(b, axis=1))
    got = distances(q, k, "s8", "cosine", zp)
    assert np.all(np.abs(got - 65536 * (1 - cos)) <= 2.0)  # floor(sqrt) and the truncating division
    zero = np.full(64, zp, np.int8)
    assert distances(zero, k, "s8", "cosine", zp).tolist() == [65536] * 30


@pytest.mark.parametrize("metric", ["l2", "cosine"])
def test_float_close_to_float64(metric):
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal(50).astype(np.float32), rng.standard_normal((10, 50)).astype(np.float32)
    a, b = q.astype(np.float64), k.astype(np.float64)
    want = ((a - b) ** 2).sum(1) if metric == "l2" else 1 - b @ a / (np.linalg.norm(a) * np.linalg.norm(b, axis=1))
    got = distances(q, k, "f32", metric)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_fail_when_full_ties_and_labels():
    mem = EpisodicMemory(3, 4, "s8", "l2")
    v = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [9, 9, 9, 9]], np.int8)
    assert mem.classify(v[0]) == (-1, None)
    for i, x in enumerate(v):
        assert mem.write(x, 10 + i)
    assert not mem.write(v[0], 99)
    assert mem.classify(v[0]) == (10, 0)  # the lowest slot wins the tie
    assert mem.classify(np.array([9, 9, 9, 8], np.int8)) == (12, 1)
    mem.clear()
    assert mem.count == 0 and mem.classify(v[0]) == (-1, None)
