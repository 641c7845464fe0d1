"""LIF reservoir dynamics against a hand-computed example."""

import numpy as np

from tinymem.imc.device import Device
from tinymem.imc.lsm import LSM, LSMConfig, run_lif


def test_lif_hand_computed():
    # one input, two neurons; neuron 0 excites neuron 1 by 0.5; leak 0.5, threshold 1.0
    w_in = np.array([[0.7, 0.4]], np.float32)
    w_rec = np.array([[0.0, 0.5], [0.0, 0.0]], np.float32)
    x = np.array([1, 1, 0, 1], np.float32).reshape(1, 4, 1)
    # t0: u = (0.7, 0.4)                      s = (0, 0)
    # t1: u = (0.35 + 0.7, 0.2 + 0.4)         = (1.05, 0.6)  s = (1, 0)
    # t2: u = (0, 0.3 + 0 + 0.5)              = (0, 0.8)     s = (0, 0)   (reset of neuron 0)
    # t3: u = (0 + 0.7, 0.4 + 0.4)            = (0.7, 0.8)   s = (0, 0)
    rates = run_lif(x, w_in, w_rec, leak=0.5, v_th=1.0)
    np.testing.assert_allclose(rates, [[0.25, 0.0]])
    # recurrent drive lifts neuron 1 to exactly threshold: H(0) = 1 fires
    w_rec2 = np.array([[0.0, 0.7], [0.0, 0.0]], np.float32)
    # t2: u1 = 0.3 + 0.7 = 1.0 -> fires; t3: u1 = 0 + 0.4 = 0.4
    np.testing.assert_allclose(run_lif(x, w_in, w_rec2, 0.5, 1.0), [[0.25, 0.25]])


def test_rates_per_window():
    w_in = np.array([[2.0]], np.float32)
    x = np.array([1, 1, 0, 0], np.float32).reshape(1, 4, 1)
    np.testing.assert_allclose(run_lif(x, w_in, np.zeros((1, 1), np.float32), 0.9, 1.0, 2),
                               [[1.0, 0.0]])


def test_lsm_on_ideal_crossbars_equals_its_weights():
    cfg = LSMConfig(n_inputs=20, n_neurons=15, in_gain=6.0, rec_gain=3.0, seed=2)
    lsm = LSM(cfg, Device.ideal())
    x = (np.random.default_rng(0).random((4, 12, 20)) < 0.3).astype(np.uint8)
    ref = run_lif(x, (6.0 * lsm.w_in.weights()).astype(np.float32),
                  (3.0 * lsm.w_rec.weights()).astype(np.float32), cfg.leak, cfg.v_th)
    np.testing.assert_allclose(lsm.run(x), ref, atol=1e-6)
    assert ref.max() > 0  # the example spikes at all


def test_noiseless_and_device_reservoirs_share_conductances():
    cfg = LSMConfig(n_inputs=8, n_neurons=6)
    a, b = LSM(cfg, Device().noiseless()), LSM(cfg, Device())
    np.testing.assert_array_equal(a.w_in.intended[0], b.w_in.intended[0])
