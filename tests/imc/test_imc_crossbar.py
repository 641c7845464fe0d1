"""Crossbar model against independent numpy references."""

import numpy as np
import pytest

from tinymem.imc.crossbar import Crossbar
from tinymem.imc.device import Device


def test_ideal_crossbar_is_the_matrix_product_across_tiles():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((600, 300))
    x = rng.standard_normal((7, 600))  # signed inputs: two read phases
    xb = Crossbar.program(w, Device.ideal())
    assert xb.n_tiles == 3 * 2
    np.testing.assert_allclose(xb.matmul(x), x @ w, rtol=1e-10, atol=1e-10)


def test_differential_pairs_hold_signed_weights():
    d = Device.ideal()
    w = np.array([[0.5, -1.0, 0.0], [-0.25, 1.0, 0.75]])
    xb = Crossbar.program(w, d)
    gp, gn = xb.g
    np.testing.assert_allclose((gp - gn) / d.g_range, w)  # w_max = 1
    np.testing.assert_allclose(np.minimum(gp, gn), d.g_min)  # the unused cell rests at g_min
    assert np.all(gp[w > 0] > d.g_min) and np.all(gn[w < 0] > d.g_min)
    np.testing.assert_allclose(np.maximum(gp, gn).max(), d.g_max)


def test_levels_quantize_each_cell():
    w = np.linspace(-1, 1, 101)[None, :]
    xb = Crossbar.program(w, Device.ideal(levels=5))
    got = xb.weights()
    np.testing.assert_allclose(got, np.round(w * 4) / 4)


def test_row_tiles_are_digitised_separately_and_accumulated():
    rng = np.random.default_rng(2)
    d = Device.ideal(adc_bits=6, tile_rows=100, tile_cols=50)
    w = rng.uniform(-1, 1, (250, 80))
    x = rng.uniform(0, 1, (9, 250))
    xb = Crossbar.program(w, d, w_max=1.0)
    xb.adc_fs = np.array([[8.0], [6.0], [4.0]]) * np.ones((3, 80))
    ref = np.zeros((9, 80))
    for r, (a, b) in enumerate([(0, 100), (100, 200), (200, 250)]):
        part = x[:, a:b] @ w[a:b]
        lsb = xb.adc_fs[r, 0] / 32
        ref += np.clip(np.round(part / lsb), -32, 31) * lsb
    np.testing.assert_allclose(xb.matmul(x), ref, atol=1e-9)


def test_adc_saturates_at_full_scale():
    d = Device.ideal(adc_bits=4)
    xb = Crossbar.program(np.ones((10, 2)) * np.array([1.0, -1.0]), d, w_max=1.0)
    xb.adc_fs = np.full((1, 2), 2.0)  # lsb = 0.25, codes -8..7
    y = xb.matmul(np.ones((1, 10)))  # true +10 / -10
    np.testing.assert_allclose(y, [[1.75, -2.0]])
    y = xb.matmul(np.full((1, 10), 0.1))  # true +-1.0: in range, exact multiple of the lsb
    np.testing.assert_allclose(y, [[1.0, -1.0]])


def test_dac_quantizes_input_magnitudes():
    xb = Crossbar.program(np.eye(3), Device.ideal(dac_bits=2))  # codes 0..3 of 1/3
    y = xb.matmul(np.array([[0.1, 0.5, -0.9]]))
    np.testing.assert_allclose(y, [[0.0, 2 / 3, -1.0]])


def test_drift_follows_the_power_law():
    d = Device.ideal(drift_nu=0.05, drift_t0=20.0)
    xb = Crossbar.program(np.random.default_rng(3).uniform(-1, 1, (20, 10)), d)
    g0 = xb.conductances(0.0)
    for t in (20.0, 3600.0, 86400.0 * 365):
        np.testing.assert_allclose(xb.conductances(t), g0 * ((t + 20.0) / 20.0) ** -0.05)
    # log-log slope of every cell is -nu
    ts = np.array([1e2, 1e4, 1e6])
    logs = np.log(np.stack([xb.conductances(t) for t in ts]))
    slope = np.diff(logs, axis=0) / np.diff(np.log(ts + 20.0))[:, None, None, None]
    np.testing.assert_allclose(slope, -0.05, atol=1e-9)


def test_uniform_drift_is_undone_by_column_compensation():
    w = np.random.default_rng(4).uniform(-1, 1, (30, 6))
    d = Device.ideal(drift_nu=0.08)
    raw = Crossbar.program(w, d).weights(86400.0)
    comp = Crossbar.program(w, d.with_(drift_compensation=True)).weights(86400.0)
    np.testing.assert_allclose(raw, w * (86420 / 20) ** -0.08, rtol=1e-9)
    np.testing.assert_allclose(comp, w, rtol=1e-9, atol=1e-12)


def test_stuck_cells_rate_value_and_nesting():
    shape = (200, 200)
    w = np.zeros(shape)
    lo = Crossbar.program(w, Device.ideal(stuck_on=0.01, stuck_off=0.02))
    n = 2 * lo.g[0].size
    assert abs(lo.stuck_on.sum() / n - 0.01) < 0.002
    assert abs(lo.stuck.sum() / n - 0.03) < 0.003
    assert np.all(lo.g[lo.stuck_on] == lo.device.g_max)
    assert np.all(lo.g[lo.stuck & ~lo.stuck_on] == lo.device.g_min)
    hi = lo.with_device(lo.device.with_(stuck_on=0.05, stuck_off=0.05))
    assert np.all(hi.stuck[lo.stuck])  # a higher rate keeps the earlier faults


def test_read_noise_matches_its_summed_variance():
    d = Device.ideal(read_noise=0.02)
    w = np.random.default_rng(5).uniform(-1, 1, (64, 4))
    xb = Crossbar.program(w, d, w_max=1.0)
    x = np.random.default_rng(6).uniform(0, 1, (1, 64))
    ys = np.concatenate([xb.matmul(x) for _ in range(3000)])
    expected = np.sqrt(2) * 0.02 * d.g_max / d.g_range * np.linalg.norm(x)
    np.testing.assert_allclose(ys.std(axis=0), expected, rtol=0.08)
    np.testing.assert_allclose(ys.mean(axis=0), (x @ w)[0], atol=4 * expected / np.sqrt(3000))


def test_seeded_and_deterministic():
    w = np.random.default_rng(7).standard_normal((50, 20))
    x = np.random.default_rng(8).uniform(0, 1, (3, 50))
    a = Crossbar.program(w, Device(seed=3)).matmul(x)
    b = Crossbar.program(w, Device(seed=3)).matmul(x)
    c = Crossbar.program(w, Device(seed=4)).matmul(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_formed_arrays_are_random_within_the_window():
    d = Device()
    xb = Crossbar.formed((100, 100), d)
    assert xb.g.min() >= d.g_min and xb.g.max() <= d.g_max
    w = xb.weights(0.0)
    assert abs(w.mean()) < 0.02 and 0.15 < w.std() < 0.3  # zero-mean differential weights


def test_energy_counts_follow_the_reads():
    d = Device.ideal(adc_bits=8, tile_rows=10)
    xb = Crossbar.program(np.ones((25, 4)), d)
    x = np.zeros((2, 25))
    x[0, :3] = 1.0  # only the first tile active for sample 0; sample 1 idle
    xb.matmul(x)
    c = xb.counts
    assert c.dac_conversions == 3
    assert c.adc_conversions == 1 * 4  # one tile read once, 4 columns
    g = xb.g.sum(axis=(0, 2))[:3].sum() * 1e-6
    assert c.cell_joules == pytest.approx(g * d.v_read ** 2 * d.t_read)
