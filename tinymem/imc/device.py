"""`Device`: the resistive-memory device and periphery model shared by every crossbar.

Units: conductances in microsiemens, times in seconds, voltages in volts. Every random draw is
seeded from `seed` plus a named stream (see `Device.rng`), so equal settings give equal numbers.
Default values and their sources are listed in docs/imc.md.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, fields, replace

import numpy as np


OPTIONAL_BITS = ("levels", "dac_bits", "adc_bits")  # None: continuous / no converter


@dataclass(frozen=True)
class Device:
    tile_rows: int = 256  # word lines per tile (inputs)
    tile_cols: int = 256  # differential column pairs per tile (outputs)
    g_min: float = 1.0  # uS, high-resistance state (a weight of 0 sits at g_min on both cells)
    g_max: float = 25.0  # uS, aihwkit's default g_max
    levels: int | None = 16  # programmable levels per cell (None = continuous)
    prog_noise: float = 0.03  # programming error std, fraction of g_max
    read_noise: float = 0.01  # per-read cell noise std, fraction of g_max (short-term 1/f + RTN)
    drift_nu: float = 0.05  # mean drift exponent nu in g(t) = g(t0) (t / t0)^-nu
    drift_nu_std: float = 0.01  # device-to-device spread of nu
    drift_t0: float = 20.0  # s, first read after programming (drift reference)
    t_inference: float = 3600.0  # s after programming at which inference runs
    drift_compensation: bool = True  # per-column rescaling from a reference read
    stuck_on: float = 0.001  # fraction of cells stuck at g_max
    stuck_off: float = 0.001  # fraction of cells stuck at g_min
    dac_bits: int | None = 7  # input DAC resolution (magnitude; sign handled by two read phases)
    adc_bits: int | None = 9  # output ADC resolution (signed), per tile column
    adc_percentile: float = 99.99  # ADC full scale from calibration data (percentile of |partial|)
    v_read: float = 0.2  # V, read voltage of a full-scale input
    t_read: float = 10e-9  # s, read pulse length
    seed: int = 0

    @classmethod
    def ideal(cls, **over) -> "Device":
        """A noiseless, drift-free, fault-free crossbar with continuous levels and no DAC/ADC loss."""
        base = dict(levels=None, prog_noise=0.0, read_noise=0.0, drift_nu=0.0, drift_nu_std=0.0,
                    stuck_on=0.0, stuck_off=0.0, dac_bits=None, adc_bits=None,
                    drift_compensation=False)
        base.update(over)
        return cls(**base)

    def noiseless(self) -> "Device":
        """This device (same window, tiles, seed) without any non-ideality."""
        return replace(self, levels=None, prog_noise=0.0, read_noise=0.0, drift_nu=0.0,
                       drift_nu_std=0.0, stuck_on=0.0, stuck_off=0.0, dac_bits=None,
                       adc_bits=None, drift_compensation=False)

    @property
    def exact(self) -> bool:
        """Integer layers on this device give exact results: no noise, faults, drift or ADC
        rounding (levels and DAC bits only change how weights and inputs are bit-sliced)."""
        drift = (self.drift_nu or self.drift_nu_std) and self.t_inference > 0
        return not (self.prog_noise or self.read_noise or drift or self.stuck_on or self.stuck_off
                    or self.adc_bits)

    @classmethod
    def from_dict(cls, d: dict | None, base: "Device | None" = None) -> "Device":
        """Override `base` (default: Device()) with the keys of `d`; unknown keys and values of
        the wrong type are an error."""
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names - {"ideal"}
        if unknown:
            raise ValueError(f"unknown device settings: {sorted(unknown)}")
        start = base or (cls.ideal() if d.pop("ideal", False) else cls())
        d.pop("ideal", None)
        defaults = cls()
        for key, value in d.items():
            if key in OPTIONAL_BITS and value in (0, "none", "None"):  # TOML has no null: 0 means "off"
                d[key] = None
                continue
            want = type(getattr(defaults, key))
            accepted = (int, float) if want is float else want
            if isinstance(value, bool) != (want is bool) or not isinstance(value, accepted):
                raise ValueError(f"device setting {key}: expected {want.__name__}, got {value!r}")
        return replace(start, **d)

    def with_(self, **over) -> "Device":
        return replace(self, **over)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def g_range(self) -> float:
        return self.g_max - self.g_min

    def rng(self, stream: str, *extra: int) -> np.random.Generator:
        """A generator for one named random stream (programming, faults, drift, read, ...)."""
        key = zlib.crc32(stream.encode())
        return np.random.default_rng(np.random.SeedSequence([self.seed, key, *extra]))
