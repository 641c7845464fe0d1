"""`verify_rram`: a compiled model with its FullyConnected and Conv2D layers on resistive crossbars,
against the same model's digital int8 execution (`tinymem verify MODEL --backend rram`).

Digital: the generated C on the host simulator (bit-exact with TFLite Micro). Crossbar: the
reference interpreter with the integer accumulations of every int8 FullyConnected and Conv2D
layer with constant weights (Conv via im2col) computed by `CrossbarBackend` under the device
model; requantization, activations, pooling, depthwise convolutions and every other op stay
digital and exact. The ADCs are calibrated on the first `calibration` inputs (taken from --data
when given, otherwise extra seeded random inputs), which are not evaluated.

Reported per output: how many inputs give identical outputs, max and mean |diff| in output
steps (integer outputs) or real units (float outputs); with labelled data and a classifier, the
top-1 accuracy of both executions and their top-1 agreement.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinymem.compile import CompileOptions, compile_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.compiler.state_pairs import make_state
from tinymem.errors import InputError
from tinymem.frontend import load_model
from tinymem.imc.crossbar_backend import CrossbarBackend
from tinymem.imc.device import Device
from tinymem.imc.energy import EnergyModel
from tinymem.ir import verify
from tinymem.sim.datasets import load_dataset
from tinymem.sim.host import run_host
from tinymem.sim.interpret import interpret
from tinymem.sim.random_inputs import random_inputs


@dataclass
class OutputAgreement:
    name: str
    dtype: str
    identical: int = 0  # inputs whose crossbar output equals the digital one everywhere
    max_abs_diff: float = 0.0  # output steps (integer outputs) or real units (float outputs)
    mean_abs_diff: float = 0.0


@dataclass
class RramResult:
    device: Device
    samples: int  # evaluated inputs (calibration inputs excluded)
    calibration: int
    layers: list[dict]  # mapped weight matrices: layer, inputs, outputs, tiles
    outputs: list[OutputAgreement] = field(default_factory=list)
    labelled: int = 0  # evaluated inputs with a label (accuracy is over these)
    accuracy_digital: float | None = None
    accuracy_crossbar: float | None = None
    top1_agreement: float | None = None  # over all evaluated inputs, classifiers only
    energy: dict = field(default_factory=dict)  # joules per inference: crossbar parts, MCU estimate

    @property
    def identical(self) -> bool:
        """Every output of every evaluated input equals the digital execution's."""
        return all(o.identical == self.samples for o in self.outputs)


def rram_graph(model_path: Path, options: CompileOptions):
    """The model's IR as the compiler sees it before scheduling; stateful models are refused."""
    g = verify(load_model(model_path, options.input_shapes, options.consts))
    make_state(g, options.state, auto=model_path.suffix.lower() == ".onnx")
    g = canonicalize(g)
    state = [n for n, t in g.tensors.items() if t.persistent]
    if state:
        raise InputError(f"{model_path.name}: --backend rram runs stateless models only "
                         f"(persistent state: {', '.join(state[:3])})")
    return g


def _is_classifier(report: dict, labels: list[int]) -> bool:
    """Labelled inputs and a first output of class scores (not a reconstruction of the input)."""
    out, inp = report["outputs"][0], report["inputs"][0]
    return (bool(labels) and list(out["shape"]) != list(inp["shape"])
            and int(np.prod(out["shape"])) > max(labels))


def verify_rram(model_path: str | Path, device: Device | None = None, n_random: int = 20,
                data: str | Path | None = None, seed: int = 0, options: CompileOptions | None = None,
                data_limit: int | None = None, calibration: int = 16, progress=None) -> RramResult:
    model_path = Path(model_path)
    options = options or CompileOptions()
    device = device or Device(seed=seed)
    if calibration < 0:
        raise InputError(f"calibration must be >= 0 inputs, got {calibration}")
    g = rram_graph(model_path, options)
    backend = CrossbarBackend(device)
    with tempfile.TemporaryDirectory() as tmp:
        report = compile_model(model_path, Path(tmp) / "out", options)
        samples = [(f"random#{i}", xs, None) for i, xs in enumerate(random_inputs(report["inputs"], n_random, seed))]
        if data is not None:
            real = load_dataset(data, report["inputs"], None if data_limit is None else data_limit + calibration)
            calib, samples = [xs for _, xs, _ in real[:calibration]], samples + real[calibration:]
        else:
            calib = random_inputs(report["inputs"], calibration, seed + 1)
        if not samples:
            raise InputError("no inputs left to evaluate after the calibration inputs")
        stacked = [np.stack([xs[i] for _, xs, _ in samples]) for i in range(len(report["inputs"]))]
        digital = run_host(Path(tmp) / "out", stacked, steps=len(samples))

    def run(xs):
        return interpret(g, xs, matmul=backend)

    backend.calibrate(run, calib)
    crossbar = []
    for _, xs, _ in samples:
        crossbar.append(run(xs))
        if not backend.layers:
            raise InputError(f"{model_path.name}: no int8 FullyConnected or Conv2D layer with constant weights "
                             "to map onto crossbars")
        if progress:
            progress()
    result = RramResult(device, len(samples), len(calib), backend.describe())
    for i, desc in enumerate(report["outputs"]):
        want = digital[i].astype(np.float64)
        got = np.stack([c[i] for c in crossbar]).reshape(want.shape).astype(np.float64)
        diff = np.abs(got - want).reshape(len(samples), -1)
        result.outputs.append(OutputAgreement(desc["name"], desc["dtype"], int((diff.max(axis=1) == 0).sum()),
                                              float(diff.max()), float(diff.mean())))
    labelled = [k for k, s in enumerate(samples) if s[2] is not None]
    labels = [samples[k][2] for k in labelled]
    if _is_classifier(report, labels):
        top_d = digital[0].reshape(len(samples), -1).argmax(axis=1)
        top_x = np.stack([c[0] for c in crossbar]).reshape(len(samples), -1).argmax(axis=1)
        result.labelled = len(labelled)
        result.accuracy_digital = float(np.mean(top_d[labelled] == labels))
        result.accuracy_crossbar = float(np.mean(top_x[labelled] == labels))
        result.top1_agreement = float(np.mean(top_d == top_x))
    model = EnergyModel()
    result.energy = {k: v / len(samples) for k, v in model.breakdown(backend.energy_counts()).items()}
    result.energy["mcu"] = model.mcu_joules(backend.macs / len(samples))
    return result
