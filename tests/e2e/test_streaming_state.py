"""State pairs end to end: ONNX models whose state travels through inputs/outputs compiled into
persistent state (`--state IN=OUT`, or detected by name), run for consecutive calls on the host
and compared with onnxruntime feeding the outputs back by hand; the CLI flags and
`verify --steps`."""

import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import onnx_model
from tinymem.compile import CompileOptions, compile_model
from tinymem.sim.host import run_host
from tinymem.sim.references import run_onnxruntime

vi = helper.make_tensor_value_info
I, H, STEPS = 3, 5, 12


def tinymem(*args):
    return subprocess.run([sys.executable, "-m", "tinymem", *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ))


def _gru_stream(path):
    """One GRU step per call: x [1, 1, I], state h [1, 1, H] -> y [1, 1, 1, H], hn [1, 1, H]."""
    rng = np.random.default_rng(0)
    inits = {"W": rng.uniform(-0.7, 0.7, (1, 3 * H, I)).astype(np.float32),
             "R": rng.uniform(-0.7, 0.7, (1, 3 * H, H)).astype(np.float32),
             "B": rng.uniform(-0.3, 0.3, (1, 6 * H)).astype(np.float32)}
    node = helper.make_node("GRU", ["x", "W", "R", "B", "", "h"], ["y", "hn"], hidden_size=H, linear_before_reset=1)
    m = onnx_model([node], [vi("x", TP.FLOAT, [1, 1, I]), vi("h", TP.FLOAT, [1, 1, H])],
                   [vi("y", TP.FLOAT, [1, 1, 1, H]), vi("hn", TP.FLOAT, [1, 1, H])], inits)
    onnx.save(m, str(path))
    return path


def _accumulator(path):
    """total = acc + x; y = 2 * total: the running sum when acc is fed from total."""
    m = onnx_model([helper.make_node("Add", ["acc", "x"], ["total"]), helper.make_node("Mul", ["total", "two"], ["y"])],
                   [vi("x", TP.FLOAT, [2, 3]), vi("acc", TP.FLOAT, [2, 3])],
                   [vi("y", TP.FLOAT, [2, 3]), vi("total", TP.FLOAT, [2, 3])], {"two": np.float32(2)})
    onnx.save(m, str(path))
    return path


def test_detected_gru_state_streams_like_onnxruntime(tmp_path):
    path = _gru_stream(tmp_path / "gru.onnx")
    report = compile_model(path, tmp_path / "out")
    assert [d["name"] for d in report["inputs"]] == ["x"]
    assert report["state_pairs"] == [{"input": "h", "output": "hn"}]
    assert report["ram"]["state_bytes"] == 32  # 20 bytes, aligned to 16
    x = np.random.default_rng(1).standard_normal((STEPS, 1, 1, I)).astype(np.float32)
    got = run_host(tmp_path / "out", [x], steps=STEPS, profile="sanitize")
    want = run_onnxruntime(path, {"x": x, "h": np.zeros((1, 1, H), np.float32)}, steps=STEPS,
                           state_pairs={"h": "hn"})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    # a second process starts from the zero state again (init / reset_state)
    again = run_host(tmp_path / "out", [x[:3]], steps=3)
    np.testing.assert_allclose(again[0], got[0][:3], rtol=0, atol=0)


def test_state_none_keeps_the_inputs(tmp_path):
    path = _gru_stream(tmp_path / "gru.onnx")
    report = compile_model(path, tmp_path / "out", CompileOptions(state={}))
    assert [d["name"] for d in report["inputs"]] == ["x", "h"] and report["state_pairs"] == []
    assert report["ram"]["state_bytes"] == 0


def test_cli_state_flag_run_steps_and_verify(tmp_path):
    path = _accumulator(tmp_path / "acc.onnx")
    out = tmp_path / "out"
    r = tinymem("compile", path, "-o", out, "--state", "acc=total")
    assert r.returncode == 0, r.stderr
    assert "acc <- total" in r.stdout
    report = json.loads((out / "report.json").read_text())
    assert [d["name"] for d in report["inputs"]] == ["x"] and "--state acc=total" in report["command"]
    x = np.random.default_rng(2).standard_normal((5, 2, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = tinymem("run", out, "--input", tmp_path / "x.npy", "--steps", 5, "--output", tmp_path / "y.npz")
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npz")
    np.testing.assert_allclose(y["total"], np.cumsum(x, axis=0), rtol=1e-6)
    np.testing.assert_allclose(y["y"], 2 * np.cumsum(x, axis=0), rtol=1e-6)
    r = tinymem("verify", path, "--state", "acc=total", "--steps", 6)
    assert r.returncode == 0, r.stdout + r.stderr
    r = tinymem("inspect", path, "--state", "acc=total")
    assert r.returncode == 0 and "acc <- total" in r.stdout
    r = tinymem("compile", path, "-o", tmp_path / "bad", "--state", "acc=nope")
    assert r.returncode != 0 and "no output 'nope'" in r.stderr
