"""Whole ONNX models through the generated C: the demo models against onnxruntime, and the
one-line errors of the CLI (unsupported operator -> exit code 2, damaged file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinymem.compile import compile_model
from tinymem.sim.host import run_host
from tinymem.sim.references import run_onnxruntime
from tinymem.verify import verify_model

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
SILERO = ROOT.parent / "shared" / "models" / "silero_vad_v4.onnx"


def _samples(n_random: int = 20) -> list[np.ndarray]:
    real = np.load(MODELS / "demo_digits_samples.npz")["x"]
    rng = np.random.default_rng(0)
    rand = [rng.uniform(-1, 1, (1, 1, 8, 8)).astype(np.float32) for _ in range(n_random)]
    return [x.reshape(1, 1, 8, 8) for x in real] + rand


def test_demo_f32_verifies_within_1e4():
    result = verify_model(MODELS / "demo_digits_f32.onnx", n_random=20)
    assert result.ok, [(o.name, o.max_abs_diff) for o in result.outputs]
    assert result.outputs[0].max_abs_diff < 1e-4


def test_demo_f32_predicts_the_labels_like_onnxruntime(tmp_path):
    compile_model(MODELS / "demo_digits_f32.onnx", tmp_path / "out")
    data = np.load(MODELS / "demo_digits_samples.npz")
    got = run_host(tmp_path / "out", [data["x"][:, None]], steps=len(data["x"]))[0]
    want = np.concatenate([run_onnxruntime(MODELS / "demo_digits_f32.onnx", {"input": x[None]})[0]
                           for x in data["x"]])
    np.testing.assert_allclose(got.reshape(want.shape), want, atol=1e-4, rtol=1e-5)
    assert (want.argmax(1) == data["y"]).mean() == (got.reshape(want.shape).argmax(1) == data["y"]).mean()


def test_demo_qdq_within_one_output_step(tmp_path):
    import onnxruntime as ort

    path = MODELS / "demo_digits_int8_qdq.onnx"
    report = compile_model(path, tmp_path / "out")
    assert {o["type"] for o in report["ops"]} == {"quantize", "reshape", "conv2d", "max_pool2d", "transpose",
                                                   "fully_connected", "dequantize"}
    xs = _samples()
    got = run_host(tmp_path / "out", [np.stack(xs)], steps=len(xs))[0]
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # QDQ through float
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    want = np.stack([sess.run(None, {"input": x})[0] for x in xs])
    import onnx
    from onnx import numpy_helper

    step = float(next(numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer
                      if i.name == "logits_scale"))
    diff = np.abs(got.reshape(want.shape).astype(np.float64) - want)
    assert diff.max() <= step * 1.0001, f"max diff {diff.max() / step:.3f} steps"


def _cli(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100000"}  # rich wraps at the terminal width; we check the message
    return subprocess.run([sys.executable, "-c", "from tinymem.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env)


@pytest.mark.skipif(not SILERO.exists(), reason="../shared/models/silero_vad_v4.onnx is not beside this clone")
def test_silero_vad_inspects_with_its_state():
    """Every operator imports (LSTM, Pow, Sqrt, Log, Neg, reflect Pad) and h/c become state fed
    from hn/cn (tests/e2e/test_silero.py runs it against onnxruntime)."""
    r = _cli("inspect", str(SILERO), "--input-shape", "input=1x512", "--const", "sr=16000")
    assert r.returncode == 0, r.stderr
    assert "onnx_lstm" in r.stdout and "mirror_pad" in r.stdout
    assert "state (persistent, 1,024 B): h <- hn, c <- cn" in r.stdout


def test_truncated_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes((MODELS / "demo_digits_f32.onnx").read_bytes()[:1000])
    r = _cli("inspect", str(bad))
    assert r.returncode == 1 and "bad.onnx" in r.stdout + r.stderr and "Traceback" not in r.stderr
