"""`CrossbarLayer`: an int8 FullyConnected / Conv weight matrix on crossbar tiles.

For the compiler's `--backend rram`: the layer's integer weights (w - w_zero_point) are written
onto crossbars and the layer's int32 accumulators acc[b, n] = sum_k (x[b, k] - x_zp) *
(w[n, k] - w_zp) (+ bias) are computed under the device model; requantization stays digital.

Bit slicing (as in ISAAC-style macros): a cell holds floor(log2(levels)) bits, so |w| <= 255 is
split over ceil(bits / bits_per_cell) crossbars whose results are shifted and added; the sign is
the differential pair. Inputs are streamed in DAC-sized slices (dac_bits per read; the sign of
x - x_zp takes a second read phase) and shifted and added too. Slices are cut from the most
significant bit down (`bit_slices`), so the slice whose errors are multiplied most uses every
level of its cells (7-bit weights on 4-bit cells: bits 6-3 and 2-0, not 6-4 and 3-0, which
halves the weight error of programming noise, drift and faults). With an ideal device
(`Device.ideal()`: continuous levels, no DAC/ADC loss, no noise) the result equals the integer
matrix product exactly; real settings give the error a chip would make.
"""

from __future__ import annotations

import numpy as np

from tinymem.imc.crossbar import Crossbar
from tinymem.imc.device import Device
from tinymem.imc.energy import EnergyCounts

INT32 = np.iinfo(np.int32)


def _bits(v: int) -> int:
    return max(1, int(v).bit_length())


def bit_slices(mag: np.ndarray, width: int) -> list[tuple[int, np.ndarray]]:
    """(shift, part) pairs with mag = sum(part << shift), `width` bits each from the most
    significant bit of max(mag) down (only the last may be narrower): the most significant slice,
    whose errors weigh most, spans the full range of its cells or DAC."""
    bits = _bits(int(mag.max()) if mag.size else 0)
    out = []
    for j in range(-(-bits // width)):
        shift = max(0, bits - (j + 1) * width)
        out.append((shift, (mag >> shift) & ((1 << (bits - j * width - shift)) - 1)))
    return out


class CrossbarLayer:
    def __init__(self, w_q: np.ndarray, w_zero_point=0, device: Device | None = None, tag: int = 0):
        """`w_q` [N_out, K] integer weights (TFLite FullyConnected layout; for Conv pass OHWI
        reshaped to [O, H*W*I]); `w_zero_point` scalar or per-output [N_out]."""
        self.device = device or Device()
        zp = np.asarray(w_zero_point, np.int64).reshape(-1, 1) if np.ndim(w_zero_point) else int(w_zero_point)
        w = (np.asarray(w_q, np.int64) - zp).T  # [K, N]
        self.shape = w.shape
        mag, sign = np.abs(w), np.sign(w)
        top = int(mag.max()) if mag.size else 0
        levels = self.device.levels
        self.cell_bits = _bits(top) if not levels else max(1, int(np.floor(np.log2(levels))))
        w_max = float((1 << self.cell_bits) - 1) if levels else float(max(top, 1))
        self.slices = []  # (weight shift, crossbar), most significant slice first
        for j, (shift, part) in enumerate(bit_slices(mag, self.cell_bits)):
            xb = Crossbar.program(sign * part, self.device, w_max=w_max, tag=tag * 64 + j)
            self.slices.append((shift, xb))

    def _input_slices(self, x: np.ndarray):
        """(shift, signed slice) pairs of the integer input, dac_bits at a time."""
        d = self.device.dac_bits
        mag, sign = np.abs(x), np.sign(x)
        top = int(mag.max()) if mag.size else 0
        if not d:
            return [(0, x.astype(np.float64), max(top, 1))]
        return [(shift, (sign * part).astype(np.float64), (1 << d) - 1) for shift, part in bit_slices(mag, d)]

    def calibrate(self, x_q: np.ndarray, x_zero_point: int = 0, percentile: float | None = None):
        """ADC full scales from sample inputs (default: worst case, no saturation)."""
        x = np.asarray(x_q, np.int64).reshape(-1, self.shape[0]) - int(x_zero_point)
        sl = self._input_slices(x)
        for _, xb in self.slices:
            xb.dac_range = sl[0][2]
            xb.calibrate_adc(np.concatenate([s for _, s, _ in sl]), percentile)

    def accumulate(self, x_q: np.ndarray, x_zero_point: int = 0, bias=None,
                   t: float | None = None) -> np.ndarray:
        """int32 accumulators [B, N_out] of inputs `x_q` [B, K] (saturated to int32)."""
        x = np.asarray(x_q, np.int64).reshape(-1, self.shape[0]) - int(x_zero_point)
        acc = np.zeros((x.shape[0], self.shape[1]))
        for xs, part, rng in self._input_slices(x):
            for ws, xb in self.slices:
                xb.dac_range = float(rng)
                acc += np.ldexp(xb.matmul(part, t), xs + ws)
        out = np.round(acc)
        if bias is not None:
            out += np.asarray(bias, np.int64)
        return np.clip(out, INT32.min, INT32.max).astype(np.int32)

    def energy_counts(self) -> EnergyCounts:
        total = EnergyCounts()
        for _, xb in self.slices:
            total = total.add(xb.counts)
        return total

    @property
    def n_tiles(self) -> int:
        return sum(xb.n_tiles for _, xb in self.slices)
