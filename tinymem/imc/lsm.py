"""`LSM`: a liquid state machine whose synapses are the random conductances of resistive crossbars.

LIF neurons with multiplicative leak and hard reset (the paper's equations):
    u_t = leak * u_{t-1} * (1 - s_{t-1}) + in_gain * W_in x_t + rec_gain * W_rec s_{t-1}
    s_t = H(u_t - v_th)        (H(0) = 1: a neuron at threshold fires)
W_in and W_rec are never programmed: each is an unprogrammed crossbar whose pairs hold the random
conductances that forming leaves (`Crossbar.formed`), read through the device model (read noise,
drift, stuck cells, ADC). Readout input = spike count / T per neuron (optionally per time window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymem.imc.crossbar import Crossbar
from tinymem.imc.device import Device
from tinymem.imc.energy import EnergyCounts


@dataclass(frozen=True)
class LSMConfig:
    n_inputs: int
    n_neurons: int = 200
    leak: float = 0.9
    v_th: float = 5.0
    in_gain: float = 4.0  # membrane units per unit of normalised input weight
    rec_gain: float = 2.0
    g_mean: float | None = None  # forming distribution (uS); None: middle of the window
    g_std: float | None = None  # None: a sixth of the window
    windows: int = 1  # readout features: firing rate in this many equal time windows
    seed: int = 0


def run_lif(frames: np.ndarray, drive_in, drive_rec, leak: float, v_th: float,
            windows: int = 1) -> np.ndarray:
    """Spike counts / steps of LIF neurons, [B, windows * N]. `frames` [B, T, K] inputs;
    `drive_in(x_t)` and `drive_rec(s_{t-1})` return the synaptic drive [B, N] (arrays of weights
    [K, N] / [N, N] are accepted too and used as exact products)."""
    if isinstance(drive_in, np.ndarray):
        w_in, drive_in = drive_in, (lambda x, w=drive_in: x @ w)
    if isinstance(drive_rec, np.ndarray):
        drive_rec = (lambda s, w=drive_rec: s @ w)
    b, steps, _ = frames.shape
    if steps % windows:
        raise ValueError(f"{steps} steps do not split into {windows} windows")
    u = s = None
    counts = []
    for t in range(steps):
        x = frames[:, t].astype(np.float32)
        drive = drive_in(x)
        if u is None:
            u = np.zeros_like(drive)
            s = np.zeros_like(drive)
            cnt = np.zeros_like(drive)
        else:
            drive = drive + drive_rec(s)
        u = leak * u * (1 - s) + drive
        s = (u >= v_th).astype(u.dtype)
        cnt = cnt + s
        if (t + 1) % (steps // windows) == 0:
            counts.append(cnt / (steps // windows))
            cnt = np.zeros_like(cnt)
    return np.concatenate(counts, axis=1)


class LSM:
    def __init__(self, cfg: LSMConfig, device: Device, _arrays=None):
        self.cfg, self.device = cfg, device
        if _arrays is None:
            tag = 1000 * cfg.seed
            kw = dict(g_mean=cfg.g_mean, g_std=cfg.g_std, dtype=np.float32)
            _arrays = (Crossbar.formed((cfg.n_inputs, cfg.n_neurons), device, tag=tag + 1, **kw),
                       Crossbar.formed((cfg.n_neurons, cfg.n_neurons), device, tag=tag + 2, **kw))
        self.w_in, self.w_rec = _arrays
        self.neuron_counts = EnergyCounts()

    def with_device(self, device: Device) -> "LSM":
        """The same reservoir (same formed conductances) under other device settings."""
        return LSM(self.cfg, device, (self.w_in.with_device(device), self.w_rec.with_device(device)))

    def rewritten(self, sigma: float, trial: int = 0) -> "LSM":
        return LSM(self.cfg, self.device, (self.w_in.rewritten(sigma, trial),
                                           self.w_rec.rewritten(sigma, trial)))

    def calibrate(self, frames: np.ndarray) -> None:
        """ADC full scales from sample inputs: the input frames and the spikes they cause."""
        if not self.device.adc_bits:
            return
        self.w_in.calibrate_adc(frames.reshape(-1, frames.shape[2]))
        spikes = []
        ideal_in, ideal_rec = self.w_in.weights(0.0), self.w_rec.weights(0.0)
        c = self.cfg

        def rec(s):
            spikes.append(s)
            return s @ ideal_rec
        run_lif(frames, (ideal_in * c.in_gain).astype(np.float32),
                lambda s: c.rec_gain * rec(s), c.leak, c.v_th)
        self.w_rec.calibrate_adc(np.concatenate(spikes))

    def run(self, frames: np.ndarray, t: float | None = None, batch: int = 2000) -> np.ndarray:
        """Readout features (firing rates) [B, windows * N] of spike frames [B, T, K]."""
        c = self.cfg
        out = []
        for i in range(0, frames.shape[0], batch):
            chunk = frames[i:i + batch]
            out.append(run_lif(chunk, lambda x: c.in_gain * self.w_in.matmul(x, t),
                               lambda s: c.rec_gain * self.w_rec.matmul(s, t),
                               c.leak, c.v_th, c.windows))
            n = chunk.shape[0] * chunk.shape[1] * c.n_neurons
            self.neuron_counts.digital_mults += n  # leak
            self.neuron_counts.digital_adds += 3 * n  # two drives, threshold compare
        return np.concatenate(out).astype(np.float32)

    def energy_counts(self) -> EnergyCounts:
        return self.w_in.counts.add(self.w_rec.counts).add(self.neuron_counts)

    def reset_counts(self) -> None:
        for xb in (self.w_in, self.w_rec):
            xb.counts = EnergyCounts(dac_bits=xb.counts.dac_bits, adc_bits=xb.counts.adc_bits)
        self.neuron_counts = EnergyCounts()

    def dense_macs(self, steps: int) -> int:
        """MACs per inference of the same reservoir run densely on a digital processor."""
        c = self.cfg
        return steps * (c.n_inputs * c.n_neurons + c.n_neurons * c.n_neurons)
