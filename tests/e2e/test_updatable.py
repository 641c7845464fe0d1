"""Updatable parameters (--updatable): a new head loaded with params_load gives exactly what the
reference runtime gives on the model file rewritten with that head.

  - TFLite int8 (TFLM is the oracle, bit-exact): backbone FC + head FC built with tests/tflite_builder;
    the head replaced by new int8 weights (and by float weights quantized by pack_params).
  - ONNX float (onnxruntime is the oracle, 1e-4): the demo CNN with its Gemm as the head.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tflite_builder import T, build_model
from tinymem.compile import CompileOptions, compile_model
from tinymem.errors import TinymemError
from tinymem.params import pack_params, unpack_params
from tinymem.sim.host import run_host
from tinymem.sim.references import run_onnxruntime, run_tflm

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "models" / "demo_digits_f32.onnx"
N = 16


def _fc_model(head_w, head_b, per_channel: bool) -> bytes:
    rng = np.random.default_rng(11)
    w1 = rng.integers(-127, 128, (12, 16), dtype=np.int8)
    b1 = rng.integers(-300, 300, 12).astype(np.int32)
    s1 = [0.01 + 0.001 * i for i in range(12)]
    s2 = [0.02 + 0.002 * i for i in range(4)] if per_channel else 0.02
    tensors = [T((1, 16), "s8", 0.05, -3, name="x"),
               T((12, 16), "s8", s1, 0, data=w1, name="backbone/weights"),
               T((12,), "s32", [0.05 * s for s in s1], 0, data=b1, name="backbone/bias"),
               T((1, 12), "s8", 0.08, -128, name="embedding"),
               T((4, 12), "s8", s2, 0, data=head_w, name="head/weights"),
               T((4,), "s32", [0.08 * s for s in s2] if per_channel else 0.08 * 0.02, 0, data=head_b, name="head/bias"),
               T((1, 4), "s8", 0.5, 5, name="scores")]
    ops = [("FULLY_CONNECTED", [0, 1, 2], [3], {"fused_activation_function": "RELU"}),
           ("FULLY_CONNECTED", [3, 4, 5], [6])]
    return build_model(ops, tensors, [0], [6])


def _head(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(-127, 128, (4, 12), dtype=np.int8), rng.integers(-2000, 2000, 4).astype(np.int32)


@pytest.mark.parametrize("per_channel,layer", [(True, "head"), (False, "fully_connected_1"), (True, "scores")])
def test_tflite_int8_head_bit_exact(tmp_path, per_channel, layer):
    w0, b0 = _head(1)
    model = tmp_path / "m.tflite"
    model.write_bytes(_fc_model(w0, b0, per_channel))
    out = tmp_path / "out"
    report = compile_model(model, out, CompileOptions(updatable=(layer,)))
    (entry,) = report["params"]["layers"]
    assert entry["node"] == "fully_connected_1" and entry["op"] == "fully_connected_updatable"
    assert report["ram"]["params_bytes"] == report["params"]["bytes"] == 48 + 16
    assert report["ram"]["total_bytes"] == report["ram"]["arena_bytes"] + report["ram"]["state_bytes"] + 64
    xs = np.random.default_rng(2).integers(-128, 128, (N, 1, 16), dtype=np.int8)
    # compiled-in head: the original model
    np.testing.assert_array_equal(run_host(out, [xs], steps=N)[0], run_tflm(model.read_bytes(), [xs], steps=N)[0])
    # a new head through params_load == TFLM on the model rewritten with it
    w1, b1 = _head(3)
    blob = pack_params(report, {layer: {"weights": w1, "bias": b1}})
    got = run_host(out, [xs], steps=N, params=blob)[0]
    want = run_tflm(_fc_model(w1, b1, per_channel), [xs], steps=N)[0]
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got, run_host(out, [xs], steps=N)[0])
    # float weights are quantized with the layer's fixed parameters
    scale = np.asarray(entry["tensors"][0]["scale"], np.float64)
    wf = (np.random.default_rng(4).uniform(-1, 1, (4, 12)) * 127 * (scale[:, None] if per_channel else scale[0]))
    bias_scale = np.asarray(entry["tensors"][1]["scale"], np.float64)
    bf = np.array([10.0, -5.0, 0.3, 2.0]) * 0.08 * 0.02
    blob = pack_params(report, {"fully_connected_1": {"weights": wf, "bias": bf}})
    q = unpack_params(report, blob)[layer]
    np.testing.assert_array_equal(q["weights"], np.clip(np.round(wf / (scale[:, None] if per_channel else scale[0])), -127, 127))
    np.testing.assert_array_equal(q["bias"], np.round(bf / bias_scale).astype(np.int32))
    np.testing.assert_array_equal(run_host(out, [xs], steps=N, params=blob)[0],
                                  run_tflm(_fc_model(q["weights"], q["bias"], per_channel), [xs], steps=N)[0])


def _onnx_with_head(w, b) -> bytes:
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(DEMO))
    for init in m.graph.initializer:
        if init.name in ("9.weight", "9.bias"):
            init.CopyFrom(numpy_helper.from_array(w if init.name == "9.weight" else b, init.name))
    return m.SerializeToString()


def test_onnx_float_head(tmp_path):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "out"
    report = compile_model(DEMO, out, CompileOptions(updatable=("9",)))  # PyTorch module "9": 9.weight, 9.bias
    (entry,) = report["params"]["layers"]
    assert entry["node"] == "/9/Gemm" and [t["shape"] for t in entry["tensors"]] == [[10, 256], [10]]
    xs = np.load(ROOT / "models" / "demo_digits_samples.npz")["x"][:N].astype(np.float32)
    base = run_host(out, [xs[:, None]], steps=N)[0]
    rng = np.random.default_rng(7)
    w, b = (rng.standard_normal((10, 256)) * 0.1).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    got = run_host(out, [xs[:, None]], steps=N, params=pack_params(out, {"/9/Gemm": {"weights": w, "bias": b}}))[0]
    (want,) = run_onnxruntime(_onnx_with_head(w, b), {"input": xs[:, None]}, steps=N)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-5)
    assert np.abs(got - base).max() > 1.0
    # the compiled-in head is the original model's
    (orig,) = run_onnxruntime(DEMO.read_bytes(), {"input": xs[:, None]}, steps=N)
    np.testing.assert_allclose(base, orig, atol=1e-4, rtol=1e-5)


def test_matching_errors(tmp_path):
    w0, b0 = _head(1)
    model = tmp_path / "m.tflite"
    model.write_bytes(_fc_model(w0, b0, True))
    with pytest.raises(TinymemError, match="no layer named 'nope'.*fully_connected_0"):
        compile_model(model, tmp_path / "o1", CompileOptions(updatable=("nope",)))
    with pytest.raises(TinymemError, match="a second time"):
        compile_model(model, tmp_path / "o2", CompileOptions(updatable=("head,fully_connected_1",)))
    with pytest.raises(TinymemError, match="only fully_connected"):
        compile_model(DEMO, tmp_path / "o3", CompileOptions(updatable=("/3/Conv",)))
    report = compile_model(model, tmp_path / "o4", CompileOptions(updatable=("backbone,head",)))
    assert [e["node"] for e in report["params"]["layers"]] == ["fully_connected_0", "fully_connected_1"]
    assert all(t["offset"] % 16 == 0 for e in report["params"]["layers"] for t in e["tensors"])
    with pytest.raises(Exception, match="not given"):
        pack_params(report, {"head": {"weights": w0}})
    blob = pack_params(report, {"backbone": unpack_params(report, bytes(report["params"]["bytes"]))["backbone"],
                                "head": {"weights": w0, "bias": b0}})
    assert unpack_params(report, blob)["head"]["weights"].tolist() == w0.tolist()
