"""Operator tests of ONNX models: `check_onnx(model, feeds, tmp_path)` runs a small ONNX model
three ways:
  1. onnxruntime (CPU): the oracle (or `expected`, outputs computed independently, for cases
     onnxruntime cannot run, e.g. batch-major recurrent layouts);
  2. tinymem's numpy reference interpreter over the imported, canonicalized IR;
  3. the generated C on the host simulator, built with AddressSanitizer + UBSan (init() checks
     every kernel's scratch-size query against the op module's `scratch_bytes`);
and asserts float outputs within `atol` (+ 1e-5 relative), integer outputs equal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from tests.ops.harness import assert_close
from tinymem.compile import CompileOptions, compile_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.sim.host import run_host
from tinymem.sim.interpret import interpret
from tinymem.sim.references import run_onnxruntime


def onnx_model(nodes, inputs, outputs, inits=None, opset=17) -> onnx.ModelProto:
    """A model from onnx.helper pieces; `inits` maps initializer names to arrays."""
    g = helper.make_graph(nodes, "g", inputs, outputs,
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def check_onnx(model: onnx.ModelProto, feeds: dict[str, np.ndarray], tmp_path: Path | None = None,
               atol: float = 1e-5, expected: list[np.ndarray] | None = None,
               options: CompileOptions | None = None) -> list[np.ndarray]:
    want = expected if expected is not None else run_onnxruntime(model, feeds)
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "model.onnx"
        onnx.save(model, str(path))
        options = options or CompileOptions(state={})
        g = canonicalize(load_model(path, options.input_shapes, options.consts))
        ref = interpret(g, [feeds[n] for n in g.inputs])
        out = Path(tmp) / "out"
        report = compile_model(path, out, options)
        got = run_host(out, [feeds[d["name"]] for d in report["inputs"]], profile="sanitize")
    assert len(got) == len(want) == len(ref)
    for i, w in enumerate(want):
        w = np.asarray(w)
        assert tuple(got[i].shape) == tuple(w.shape), f"output {i}: shape {got[i].shape} != {w.shape}"
        assert_close(ref[i], w, atol, f"numpy reference vs oracle, output {i}")
        assert_close(got[i], w, atol, f"generated C vs oracle, output {i}")
    return got
