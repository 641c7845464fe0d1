"""`noise_sweep`: accuracy of a trained reservoir readout as one device parameter changes.

Protocol (one factor at a time): the readout was trained on features read from the default device
at t_inference. Each point changes one parameter of the deployed array and reads the test set
again at t_inference: programming noise (the array is written again with that error), ADC bits,
stuck-at rate (cells failing after training, in addition to the default faults, half ON and half
OFF), read noise, and drift time (the test set is read t_inference + t seconds after programming,
with per-column drift compensation).
"""

from __future__ import annotations

import numpy as np

from tinymem.imc.lsm import LSM

DEFAULT_SWEEP = {
    "prog_noise": [0.0, 0.01, 0.03, 0.1],
    "adc_bits": [3, 4, 6, 8],
    "stuck_rate": [0.0, 0.002, 0.01, 0.05],
    "read_noise": [0.0, 0.03, 0.1],
    "drift_time": [0.0, 86400.0, 2592000.0, 31536000.0],
}


def _variant(lsm: LSM, name: str, value: float):
    """(deployed LSM, read time) for one sweep point."""
    d = lsm.device
    t = d.t_inference
    if name == "prog_noise":
        return (lsm.rewritten(value) if value > 0 else lsm), t
    if name == "adc_bits":
        return lsm.with_device(d.with_(adc_bits=int(value))), t
    if name == "stuck_rate":
        return lsm.with_device(d.with_(stuck_on=d.stuck_on + value / 2,
                                       stuck_off=d.stuck_off + value / 2)), t
    if name == "read_noise":
        return lsm.with_device(d.with_(read_noise=value)), t
    if name == "drift_time":
        return lsm, t + float(value)
    raise ValueError(f"unknown sweep parameter {name!r}")


def noise_sweep(lsm: LSM, readout, frames: np.ndarray, labels: np.ndarray, grid: dict,
                progress=None) -> dict:
    """{parameter: [{"value": v, "accuracy": a}, ...]} for the test `frames`."""
    out = {}
    for name, values in grid.items():
        rows = []
        for v in values:
            deployed, t = _variant(lsm, name, v)
            feats = deployed.run(frames, t=t)
            rows.append({"value": float(v), "accuracy": readout.score(feats, labels)})
            if progress:
                progress(f"sweep {name}={v}")
        out[name] = rows
    return out
