"""`verify_model`: compile, run on the host simulator, and compare with the reference runtime.

The contract (DESIGN "Numerics"): integer outputs bit-identical; float outputs within `atol`
(default 1e-4); outputs of ONNX QDQ models within one quantization step of onnxruntime.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinymem.compile import CompileOptions, compile_model
from tinymem.ir import np_dtype
from tinymem.sim.datasets import load_dataset
from tinymem.sim.host import run_host
from tinymem.sim.random_inputs import random_inputs


@dataclass
class OutputStats:
    name: str
    dtype: str
    tolerance: float
    max_abs_diff: float = 0.0
    differing: int = 0  # elements beyond the tolerance
    elements: int = 0
    first_bad_sample: str | None = None
    first_bad_step: int | None = None  # index of the first differing call (consecutive calls)
    first_bad_index: tuple[int, ...] | None = None  # its first differing element
    first_bad_values: tuple[float, float] | None = None  # (got, want) there


@dataclass
class VerifyResult:
    reference: str
    samples: int
    outputs: list[OutputStats] = field(default_factory=list)
    report: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.differing == 0 for o in self.outputs)


def reference_runner(model_path: Path, report: dict, consts: dict | None = None):
    """(name, fn(inputs, steps) -> outputs) for the model's reference runtime; with steps > 1 the
    inputs and outputs carry a leading step axis and one interpreter runs them in sequence.
    `consts`: the --const values (ONNX inputs the compiled model no longer has)."""
    from tinymem.sim import references

    data = model_path.read_bytes()
    if model_path.suffix.lower() == ".onnx":
        return "onnxruntime", onnx_reference(data, report, consts)
    try:
        probe = [np.zeros(d["shape"], dtype=np_dtype(d["dtype"])) for d in report["inputs"]]
        references.run_tflm(data, probe)
        return "tflm", lambda xs, steps: references.run_tflm(data, xs, steps)
    except RuntimeError as e:
        if "not installed" in str(e):
            raise
        return "litert-builtin-ref", lambda xs, steps: references.run_litert_ref(data, xs, steps)


def onnx_reference(data: bytes, report: dict, consts: dict | None = None):
    """fn(inputs, steps) -> outputs running an ONNX model on onnxruntime like the compiled model:
    the compiled model's inputs, each --const input at its value, and each state input
    (report["state_pairs"]) starting from zeros and fed back from its output after every step."""
    import onnx
    from onnx import helper

    from tinymem.sim import references

    names = [d["name"] for d in report["inputs"]]
    qdq = b"QuantizeLinear" in data or b"DequantizeLinear" in data
    pairs = {p["input"]: p["output"] for p in report.get("state_pairs", [])}
    state = {s["name"]: s for s in report.get("state", [])}
    init = {k: np.zeros(state[k]["shape"], dtype=np_dtype(state[k]["dtype"])) for k in pairs}
    fixed = {}
    if consts:
        model = onnx.ModelProto()
        model.ParseFromString(data)
        for vi in model.graph.input:
            if vi.name in consts:
                t = vi.type.tensor_type
                dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]
                fixed[vi.name] = np.full(dims, consts[vi.name], dtype=helper.tensor_dtype_to_np_dtype(t.elem_type))

    def run(xs, steps):
        feeds = dict(zip(names, xs))
        for k, v in fixed.items():
            feeds[k] = v if steps == 1 else np.broadcast_to(v, (steps, *v.shape))
        feeds.update(init)
        return references.run_onnxruntime(data, feeds, steps, state_pairs=pairs, basic_optimizations=qdq)

    return run


def tolerance(desc: dict, atol: float) -> float:
    if desc["dtype"] != "f32":
        return 0.0
    # one quantization step (QDQ outputs), with float slack for steps computed in float32
    return max(atol, 1.0001 * desc.get("tolerance", 0.0))


def verify_model(model_path: str | Path, n_random: int = 20, data: str | Path | None = None,
                 seed: int = 0, atol: float = 1e-4, options: CompileOptions | None = None,
                 data_limit: int | None = None, progress=None, steps: int | None = None) -> VerifyResult:
    """All inputs run as consecutive calls of one model instance on both sides, so persistent
    state carries from call to call. `steps`: run that many consecutive calls on seeded random
    inputs (instead of n_random; any --data samples follow). Each output's stats name the first
    differing step and element."""
    model_path = Path(model_path)
    if steps is not None:
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        n_random = steps
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        report = compile_model(model_path, out, options)
        name, ref = reference_runner(model_path, report, options.consts if options else None)
        samples = [(f"random#{i}", xs, None) for i, xs in enumerate(random_inputs(report["inputs"], n_random, seed))]
        if data is not None:
            samples += load_dataset(data, report["inputs"], data_limit)
        stats = [OutputStats(d["name"], d["dtype"], tolerance(d, atol)) for d in report["outputs"]]
        # The harness runs the samples as consecutive steps of one process (state carries).
        stacked = [np.stack([xs[i] for _, xs, _ in samples]) for i in range(len(report["inputs"]))]
        all_got = run_host(out, stacked, steps=len(samples))
        all_want = ref(stacked, len(samples)) if len(samples) > 1 else [w[None] for w in ref([x[0] for x in stacked], 1)]
        for k, (sample_name, xs, _) in enumerate(samples):
            for st, g, w in zip(stats, [o[k] for o in all_got], [w[k] for w in all_want]):
                diff = np.abs(g.astype(np.float64) - np.asarray(w, dtype=np.float64).reshape(g.shape))
                st.max_abs_diff = max(st.max_abs_diff, float(diff.max(initial=0.0)))
                bad = int((diff > st.tolerance).sum())
                st.differing += bad
                st.elements += diff.size
                if bad and st.first_bad_sample is None:
                    st.first_bad_sample = sample_name
                    st.first_bad_step = k
                    flat = int(np.flatnonzero(diff > st.tolerance)[0])
                    st.first_bad_index = tuple(int(i) for i in np.unravel_index(flat, diff.shape))
                    st.first_bad_values = (float(g.reshape(-1)[flat]),
                                           float(np.asarray(w, dtype=np.float64).reshape(-1)[flat]))
            if progress:
                progress()
    return VerifyResult(name, len(samples), stats, report)
