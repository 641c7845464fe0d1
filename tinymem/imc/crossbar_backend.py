"""`CrossbarBackend`: the integer accumulations of a compiled model's layers on crossbar tiles.

An instance is the `matmul` of the reference interpreter (`tinymem.sim.interpret`): each int8
FullyConnected / Conv2D weight matrix (one per channel group) is written onto its own
`CrossbarLayer` the first time it is used and reused for every later input, so programming noise,
faults and drift are drawn once per layer, as on a chip. `calibrate` sets the ADCs' full scales
from the layers' inputs on sample data run digitally, the way a deployment calibrates them once.
"""

from __future__ import annotations

import numpy as np

from tinymem.imc.crossbar_layer import CrossbarLayer
from tinymem.imc.device import Device
from tinymem.imc.energy import EnergyCounts


class CrossbarBackend:
    def __init__(self, device: Device):
        self.device = device
        self.layers: dict[str, CrossbarLayer] = {}  # weight-matrix key -> its crossbars, in first-use order
        self._recorded: dict[str, list[np.ndarray]] | None = None
        self.macs = 0  # multiply-accumulates done on the crossbars (for a digital comparison)

    def __call__(self, key: str, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """x [M, K] @ w [N, K].T (zero-point-corrected integers) on the crossbars of `key`."""
        layer = self.layers.get(key)
        if layer is None:
            layer = self.layers[key] = CrossbarLayer(w, 0, self.device, tag=len(self.layers))
        if self._recorded is not None:
            self._recorded.setdefault(key, []).append(x)
            return x @ w.T
        self.macs += x.shape[0] * x.shape[1] * w.shape[0]
        return layer.accumulate(x).astype(np.int64)

    def calibrate(self, run, samples) -> None:
        """Call `run(sample)` (an interpreter run with this backend) on each sample while the
        layers compute digitally and record their inputs; then set every layer's ADC full scales
        from its recorded inputs (`CrossbarLayer.calibrate`)."""
        self._recorded = {}
        try:
            for sample in samples:
                run(sample)
            recorded = self._recorded
        finally:
            self._recorded = None
        for key, xs in recorded.items():
            self.layers[key].calibrate(np.concatenate(xs))

    def energy_counts(self) -> EnergyCounts:
        total = EnergyCounts()
        for layer in self.layers.values():
            total = total.add(layer.energy_counts())
        return total

    def describe(self) -> list[dict]:
        """One row per weight matrix: key, inputs K, outputs N, tiles (all bit slices)."""
        return [{"layer": key, "inputs": layer.shape[0], "outputs": layer.shape[1], "tiles": layer.n_tiles}
                for key, layer in self.layers.items()]
