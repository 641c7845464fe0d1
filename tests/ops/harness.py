"""Shared harness for operator tests.

`check_tflite(model_bytes, inputs, tmp_path)` runs one small TFLite model three ways:
  1. TFLM (the `tflite-micro` package): the oracle;
  2. tinymem's numpy reference interpreter over the imported IR;
  3. the generated C on the host simulator, built with AddressSanitizer + UBSan;
and asserts integer outputs are bit-identical and float outputs within `atol` to TFLM (the
numpy reference and the C must agree with TFLM, hence with each other). The generated init()
checks every kernel's C scratch-size query against the op module's `scratch_bytes`.

`check_graph(graph, inputs, expected, tmp_path)` does 2 and 3 for an IR graph built in the test
against expected outputs computed independently (e.g. onnxruntime or plain numpy).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tests.tflite_builder import build_model, run_tflm
from tinymem.compile import CompileOptions, compile_model
from tinymem.sim.host import run_host
from tinymem.sim.interpret import interpret
from tinymem.frontend import load_model
from tinymem.compiler.canonicalize import canonicalize


def assert_close(got: np.ndarray, want: np.ndarray, atol: float, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want).reshape(np.shape(got))
    if np.issubdtype(want.dtype, np.integer) or want.dtype == np.bool_:
        bad = np.flatnonzero(got.astype(np.int64) != want.astype(np.int64))
        assert bad.size == 0, (f"{what}: {bad.size} elements differ, first at flat index {bad[0]}: "
                               f"got {got.flat[bad[0]]}, want {want.flat[bad[0]]}")
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol, err_msg=what)


def run_compiled(model_path: Path, inputs: list[np.ndarray], out: Path, profile="sanitize",
                 options: CompileOptions | None = None):
    compile_model(model_path, out, options)
    return run_host(out, inputs, profile=profile)


def check_tflite(model: bytes, inputs: list[np.ndarray], tmp_path: Path | None = None, atol: float = 1e-5,
                 profile: str = "sanitize") -> list[np.ndarray]:
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(model)
        want = run_tflm(model, inputs)
        g = canonicalize(load_model(path))
        ref = interpret(g, inputs)
        got = run_compiled(path, inputs, Path(tmp) / "out", profile)
    for i, w in enumerate(want):
        assert_close(ref[i], w, atol, f"numpy reference vs TFLM, output {i}")
        assert_close(got[i], w, atol, f"generated C vs TFLM, output {i}")
    return got


def parallel_model(cases) -> bytes:
    """A TFLite model of independent one-input operators, one per case (op, input spec, output
    spec[, builtin options]): every input is a model input and every output a model output, so
    cases sharing a dtype need one C build."""
    tensors, ops = [], []
    for op, tin, tout, *options in cases:
        ops.append((op, [len(tensors)], [len(tensors) + 1], *options))
        tensors += [tin, tout]
    return build_model(ops, tensors, list(range(0, len(tensors), 2)), list(range(1, len(tensors), 2)))


def all_int8(seed: int, shape=(1, 7, 37)) -> np.ndarray:
    """Every int8 value once (shuffled), then random ones up to `shape` (default 259 elements: not
    a multiple of the 4 / 8 / 16 blocks, so unrolled kernels also run their tails)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    x = np.concatenate([rng.permutation(np.arange(-128, 128)), rng.integers(-128, 128, n - 256)])
    return x.astype(np.int8).reshape(shape)
