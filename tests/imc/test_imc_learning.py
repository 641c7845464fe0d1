"""Readouts and contrastive heads on synthetic data with a known answer; energy bookkeeping."""

import numpy as np

from tinymem.imc.contrastive import ContrastiveHeads
from tinymem.imc.energy import EnergyCounts, EnergyModel
from tinymem.imc.readout import MLPReadout, SoftmaxReadout


def _blobs(n, d=20, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((k, d)) * 3
    y = rng.integers(0, k, n)
    return centers[y] + rng.standard_normal((n, d)), y


def test_readouts_learn_separable_classes():
    x, y = _blobs(600)
    xt, yt = _blobs(300, seed=0)
    assert SoftmaxReadout().fit(x, y).score(xt, yt) > 0.95
    assert MLPReadout(epochs=20).fit(x, y).score(xt, yt) > 0.95


def test_contrastive_heads_align_two_views_of_shared_classes():
    rng = np.random.default_rng(1)
    latent = rng.standard_normal((6, 8))
    def view(dim, y, seed):
        m = np.random.default_rng(seed).standard_normal((8, dim))
        return latent[y] @ m + 0.3 * rng.standard_normal((len(y), dim))
    ya, yi = rng.integers(0, 6, 400), rng.integers(0, 6, 400)
    a, im = view(30, ya, 2), view(40, yi, 3)
    heads = ContrastiveHeads(dim=16, steps=400, seed=0).fit(a, ya, im, yi)
    assert heads.losses[-1] < heads.losses[0]
    pred = heads.retrieve(a[:100], im, yi, np.arange(6))
    assert np.mean(pred == ya[:100]) > 0.9


def test_energy_breakdown_units():
    c = EnergyCounts(cell_joules=1e-12, dac_conversions=1000, adc_conversions=10, digital_adds=100,
                     dac_bits=1, adc_bits=9)
    m = EnergyModel()
    b = m.breakdown(c)
    assert b["adc"] == 10 * m.e_adc_pj_8bit * 2 * 1e-12
    assert b["dac"] == 1000 * m.e_dac_pj_per_bit * 1e-12
    assert b["total"] == sum(v for k, v in b.items() if k != "total")
    assert m.mcu_joules(1e6) == 1e6 * m.mcu_cycles_per_mac * m.mcu_pj_per_cycle * 1e-12
