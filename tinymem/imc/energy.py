"""`EnergyModel` and `EnergyCounts`: energy per inference of the crossbar backend and of a digital MCU.

Crossbars count what they do (`EnergyCounts`); the model turns counts into joules:
  - cell reads: computed from the physics, E = t_read * sum_i v_i^2 * sum_j (G+_ij + G-_ij), with
    the actual (drifted) conductances and the DAC-coded read voltages (done inside `Crossbar`);
  - DAC conversions (one per non-zero input per read phase): `e_dac_pj_per_bit` x bits;
  - ADC conversions: `e_adc_pj_8bit` x 2^(bits - 8) (a constant Walden figure of merit);
  - digital operations (partial-sum accumulation, drift compensation, neuron updates, readout MACs)
    at 45 nm figures.
The digital baseline runs the same work as dense int8 MACs on a Cortex-M4-class MCU.
Every default constant and its source is listed in docs/imc.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class EnergyCounts:
    cell_joules: float = 0.0  # physically computed read energy of the cells
    dac_conversions: int = 0  # non-zero input pulses (per bit of DAC resolution: see dac_bits)
    adc_conversions: int = 0
    digital_adds: int = 0  # 32-bit adds (partial-sum accumulation, shift-add, leak/reset logic)
    digital_mults: int = 0  # 32-bit multiplies (drift compensation, leak)
    digital_macs: int = 0  # int8 MACs done digitally (readout, projection heads)
    dac_bits: int = 1
    adc_bits: int = 8

    def add(self, other: "EnergyCounts") -> "EnergyCounts":
        out = EnergyCounts(**asdict(self))
        for f in fields(self):
            if f.name not in ("dac_bits", "adc_bits"):
                setattr(out, f.name, getattr(self, f.name) + getattr(other, f.name))
        out.dac_bits = max(self.dac_bits, other.dac_bits)
        out.adc_bits = max(self.adc_bits, other.adc_bits)
        return out

    def scaled(self, factor: float) -> "EnergyCounts":
        out = EnergyCounts(**asdict(self))
        for f in fields(self):
            if f.name not in ("dac_bits", "adc_bits"):
                setattr(out, f.name, getattr(self, f.name) * factor)
        return out


@dataclass(frozen=True)
class EnergyModel:
    e_dac_pj_per_bit: float = 0.004  # ISAAC (ISCA 2016): 1-bit DACs, 4 mW for 1024 at 1.28 GHz
    e_adc_pj_8bit: float = 1.56  # ISAAC: 8-bit SAR ADC, 2 mW at 1.28 GS/s
    e_add_pj: float = 0.1  # Horowitz (ISSCC 2014), 45 nm: 32-bit integer add
    e_mult_pj: float = 3.1  # Horowitz: 32-bit integer multiply
    e_mac8_pj: float = 0.23  # Horowitz: 8-bit multiply 0.2 pJ + 8-bit add 0.03 pJ
    mcu_pj_per_cycle: float = 330.0  # assumption: ~100 uA/MHz at 3.3 V (Cortex-M4F class MCU)
    mcu_cycles_per_mac: float = 1.7  # REFERENCES.md: Plumerai IC at 120 MHz, ~1.7 cycles per MAC

    def breakdown(self, c: EnergyCounts) -> dict:
        """Joules per component and in total."""
        out = {
            "cells": c.cell_joules,
            "dac": c.dac_conversions * c.dac_bits * self.e_dac_pj_per_bit * 1e-12,
            "adc": c.adc_conversions * self.e_adc_pj_8bit * 2.0 ** (c.adc_bits - 8) * 1e-12,
            "digital": (c.digital_adds * self.e_add_pj + c.digital_mults * self.e_mult_pj
                        + c.digital_macs * self.e_mac8_pj) * 1e-12,
        }
        out["total"] = sum(out.values())
        return out

    def mcu_joules(self, macs: float, other_cycles: float = 0.0) -> float:
        """Energy of `macs` int8 MACs (plus other cycles) on the digital MCU."""
        return (macs * self.mcu_cycles_per_mac + other_cycles) * self.mcu_pj_per_cycle * 1e-12

    def to_dict(self) -> dict:
        return asdict(self)
