"""`Crossbar`: a weight matrix stored as differential conductance pairs on R x C tiles.

A matrix W (K inputs x N outputs) lives on ceil(K / R) x ceil(N / C) tiles (R, C = the device's
tile_rows, tile_cols). Weight w (normalised by w_max to [-1, 1]) is the pair G+ - G-, with the
unused cell at g_min, so w = (G+ - G-) / (g_max - g_min). A read applies the input as voltages on
the rows (DAC, magnitude only: a signed input takes two read phases, positive and negative parts),
each tile's column currents are digitised by an ADC with a calibrated full scale and saturation,
and the partial sums of the row tiles are added digitally (with per-column drift compensation).

Static non-idealities (drawn once, seeded): level quantisation and programming noise of written
weights, stuck-at-ON / OFF cells, per-cell drift exponents. Dynamic ones (per read): read noise,
power-law drift to the inference time, DAC and ADC quantisation. Per-cell read noise is Gaussian,
so each column's noise is drawn exactly from its summed variance instead of cell by cell.
"""

from __future__ import annotations

import numpy as np

from tinymem.imc.device import Device
from tinymem.imc.energy import EnergyCounts


class Crossbar:
    def __init__(self, g_pos: np.ndarray, g_neg: np.ndarray, device: Device, scale: float = 1.0,
                 tag: int = 0, dtype=np.float64):
        """`g_pos`, `g_neg`: intended conductances [K, N] in uS (before faults); `scale`: weight
        units per normalised unit (w_max); `tag`: random-stream id (equal tags, equal draws)."""
        if g_pos.shape != g_neg.shape or g_pos.ndim != 2:
            raise ValueError("g_pos and g_neg must be two matrices of one shape")
        self.device, self.scale, self.tag, self.dtype = device, float(scale), tag, dtype
        self.intended = (np.asarray(g_pos, np.float64), np.asarray(g_neg, np.float64))
        self.shape = g_pos.shape
        d = device
        u = d.rng("faults", tag).random((2,) + self.shape)
        self.stuck_on = u < d.stuck_on
        self.stuck = u < d.stuck_on + d.stuck_off
        g = np.stack(self.intended)
        g = np.where(self.stuck_on, d.g_max, np.where(self.stuck, d.g_min, g))
        self.g = g  # [2, K, N]: G+ and G- after faults, at the end of programming
        nu = d.drift_nu + d.drift_nu_std * d.rng("drift", tag).standard_normal(g.shape)
        self.nu = np.where(self.stuck, 0.0, np.abs(nu))
        k, n = self.shape
        self.row_tiles = [slice(r, min(r + d.tile_rows, k)) for r in range(0, k, d.tile_rows)]
        self.col_tiles = [slice(c, min(c + d.tile_cols, n)) for c in range(0, n, d.tile_cols)]
        self.dac_range = 1.0  # input value of a full-scale DAC code
        self.adc_fs: np.ndarray | None = None  # [row tiles, N] ADC full scale (normalised units)
        self.read_rng = d.rng("read", tag)
        self.counts = EnergyCounts(dac_bits=d.dac_bits or 8, adc_bits=d.adc_bits or 8)
        self._cache: dict = {}

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def program(cls, weights: np.ndarray, device: Device, w_max: float | None = None, tag: int = 0,
                dtype=np.float64) -> "Crossbar":
        """Write `weights` [K, N]: normalise by w_max (default max |w|), quantise each cell to the
        device's levels, add programming noise."""
        w = np.asarray(weights, np.float64)
        w_max = float(np.max(np.abs(w))) if w_max is None else float(w_max)
        w_max = w_max or 1.0
        w = np.clip(w / w_max, -1.0, 1.0)
        mag = np.stack([np.maximum(w, 0), np.maximum(-w, 0)])
        if device.levels:
            mag = np.round(mag * (device.levels - 1)) / (device.levels - 1)
        g = device.g_min + mag * device.g_range
        if device.prog_noise > 0:
            g = g + device.prog_noise * device.g_max * device.rng("program", tag).standard_normal(g.shape)
            g = np.clip(g, 0.0, device.g_max)
        return cls(g[0], g[1], device, scale=w_max, tag=tag, dtype=dtype)

    @classmethod
    def formed(cls, shape: tuple, device: Device, g_mean: float | None = None,
               g_std: float | None = None, tag: int = 0, dtype=np.float64) -> "Crossbar":
        """An unprogrammed array: both cells of each pair take the random conductance that
        forming/switching leaves (Gaussian, clipped to the window); weights (G+ - G-)/(g range)."""
        g_mean = (device.g_min + device.g_max) / 2 if g_mean is None else g_mean
        g_std = device.g_range / 6 if g_std is None else g_std
        g = g_mean + g_std * device.rng("form", tag).standard_normal((2,) + tuple(shape))
        g = np.clip(g, device.g_min, device.g_max)
        return cls(g[0], g[1], device, scale=1.0, tag=tag, dtype=dtype)

    def with_device(self, device: Device) -> "Crossbar":
        """The same intended conductances under other device settings (faults and drift redrawn
        from the same streams, so a higher fault rate keeps the faults of a lower one)."""
        out = Crossbar(*self.intended, device, scale=self.scale, tag=self.tag, dtype=self.dtype)
        out.dac_range, out.adc_fs = self.dac_range, self.adc_fs
        return out

    def rewritten(self, sigma: float, trial: int = 0) -> "Crossbar":
        """A copy whose conductances were written again with programming error `sigma` (fraction
        of g_max): the array a readout trained on this one meets on another write or die."""
        d = self.device
        noise = sigma * d.g_max * d.rng("rewrite", self.tag, trial).standard_normal((2,) + self.shape)
        g = np.clip(np.stack(self.intended) + noise, 0.0, d.g_max)
        out = Crossbar(g[0], g[1], d, scale=self.scale, tag=self.tag, dtype=self.dtype)
        out.dac_range, out.adc_fs = self.dac_range, self.adc_fs
        return out

    # ---- state at a time ----------------------------------------------------------------------
    def conductances(self, t: float) -> np.ndarray:
        """[2, K, N] conductances t seconds after programming: g (1 + t / t0)^-nu."""
        d = self.device
        if t <= 0 or not np.any(self.nu):
            return self.g
        return self.g * ((t + d.drift_t0) / d.drift_t0) ** (-self.nu)

    def _at(self, t: float):
        if t not in self._cache:
            d = self.device
            g = self.conductances(t)
            w = ((g[0] - g[1]) / d.g_range).astype(self.dtype)
            comp = np.ones((len(self.row_tiles), self.shape[1]))
            if d.drift_compensation:
                for r, rows in enumerate(self.row_tiles):
                    ref = self.g[:, rows].sum(axis=(0, 1))
                    comp[r] = ref / g[:, rows].sum(axis=(0, 1))
            self._cache = {t: (w, comp.astype(self.dtype), g.sum(axis=(0, 2)))}
        return self._cache[t]

    def weights(self, t: float | None = None) -> np.ndarray:
        """[K, N] weights the array computes at time t, without read noise or DAC/ADC loss."""
        t = self.device.t_inference if t is None else t
        w, comp, _ = self._at(t)
        out = np.empty(self.shape)
        for r, rows in enumerate(self.row_tiles):
            out[rows] = w[rows] * comp[r]
        return out * self.scale

    # ---- periphery ----------------------------------------------------------------------------
    def _dac(self, x: np.ndarray) -> np.ndarray:
        bits = self.device.dac_bits
        xn = x / self.dac_range
        if bits:
            top = 2 ** bits - 1
            xn = np.clip(np.round(xn * top), 0, top) / top
        return xn.astype(self.dtype, copy=False)

    def _adc(self, part: np.ndarray, r: int, rows: slice) -> np.ndarray:
        bits = self.device.adc_bits
        if not bits:
            return part
        fs = self.adc_fs[r] if self.adc_fs is not None else (rows.stop - rows.start) * (
            self.device.g_max / self.device.g_range)
        half = 2 ** (bits - 1)
        lsb = fs / half
        return np.clip(np.round(part / lsb), -half, half - 1) * lsb

    def calibrate_adc(self, x: np.ndarray, percentile: float | None = None) -> None:
        """Set each tile's ADC full scale to a percentile of |partial sums| on sample inputs
        (programming-time conductances, no noise); columns of one tile share it."""
        pct = self.device.adc_percentile if percentile is None else percentile
        w, _, _ = self._at(0.0)
        x = np.asarray(x, np.float64)
        fs = np.zeros((len(self.row_tiles), self.shape[1]))
        for xp in (np.maximum(x, 0), np.maximum(-x, 0)):
            xn = self._dac(xp).astype(np.float64)
            for r, rows in enumerate(self.row_tiles):
                part = np.abs(xn[:, rows] @ w[rows].astype(np.float64))
                for cols in self.col_tiles:
                    fs[r, cols] = max(fs[r, cols.start], np.percentile(part[:, cols], pct))
        worst = np.array([(s.stop - s.start) * self.device.g_max / self.device.g_range
                          for s in self.row_tiles])[:, None]
        self.adc_fs = np.where(fs > 0, fs, worst).astype(self.dtype)

    # ---- compute ------------------------------------------------------------------------------
    def matmul(self, x: np.ndarray, t: float | None = None) -> np.ndarray:
        """y = x @ W under the device model, x [B, K] (real units: x / dac_range is the code)."""
        d = self.device
        t = d.t_inference if t is None else t
        w, comp, gsum = self._at(t)
        x = np.asarray(x, self.dtype)
        out = np.zeros((x.shape[0], self.shape[1]), self.dtype)
        phases = [(1.0, np.maximum(x, 0))]
        if np.any(x < 0):
            phases.append((-1.0, np.maximum(-x, 0)))
        noise_k = np.sqrt(2.0) * d.read_noise * d.g_max / d.g_range
        c = self.counts
        for sign, xp in phases:
            xn = self._dac(xp)
            x2 = xn * xn
            c.cell_joules += float(x2.sum(axis=0) @ gsum) * 1e-6 * d.v_read ** 2 * d.t_read
            c.dac_conversions += int(np.count_nonzero(xn))
            for r, rows in enumerate(self.row_tiles):
                xr = xn[:, rows]
                part = xr @ w[rows]
                if noise_k > 0:
                    sd = noise_k * np.sqrt(x2[:, rows].sum(axis=1, keepdims=True))
                    part += sd * self.read_rng.standard_normal(part.shape, dtype=self.dtype)
                part = self._adc(part, r, rows)
                out += sign * part * comp[r]
                c.adc_conversions += int(np.count_nonzero(xr.any(axis=1))) * self.shape[1]
        n_parts = len(phases) * len(self.row_tiles)
        c.digital_adds += x.shape[0] * self.shape[1] * (n_parts - 1)
        if d.drift_compensation:
            c.digital_mults += x.shape[0] * self.shape[1] * n_parts
        return out * (self.dac_range * self.scale)

    @property
    def n_tiles(self) -> int:
        return len(self.row_tiles) * len(self.col_tiles)
