"""The `tinymem` command as a user meets it: outputs, determinism, and one-line errors."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.tflite_builder import T, run_tflm, single_op


def tinymem(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tinymem", *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})


def _fc_model(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (5, 8), dtype=np.int8)
    model = single_op("FULLY_CONNECTED", [T((1, 8), "s8", 0.1, 3), T((5, 8), "s8", 0.02, 0, data=w),
                                          T((5,), "s32", 0.002, 0, data=rng.integers(-500, 500, 5).astype(np.int32))],
                      [T((1, 5), "s8", 0.05, -2)], fused_activation_function="RELU")
    path = tmp_path / "fc.tflite"
    path.write_bytes(model)
    return path


def test_compile_run_roundtrip_matches_tflm(tmp_path):
    model = _fc_model(tmp_path)
    out = tmp_path / "out"
    r = tinymem("compile", model, "-o", out)
    assert r.returncode == 0, r.stderr
    for name in ("model.c", "model.h", "weights.c", "report.json", "CMakeLists.txt"):
        assert (out / name).exists()
    x = np.random.default_rng(2).integers(-128, 128, (1, 8), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    r = tinymem("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npz")
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npz")
    (want,) = run_tflm(model.read_bytes(), [x])
    np.testing.assert_array_equal(y[y.files[0]], want)


def test_output_is_deterministic(tmp_path):
    model = _fc_model(tmp_path)
    outs = []
    for name in ("a", "b"):
        assert tinymem("compile", model, "-o", tmp_path / name).returncode == 0
        outs.append({p.relative_to(tmp_path / name): p.read_bytes()
                     for p in sorted((tmp_path / name).rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]


def test_unsupported_operator_exit_2_one_line_no_output(tmp_path):
    model = tmp_path / "floor.tflite"
    model.write_bytes(single_op("FLOOR", [T((1, 4), "f32")], [T((1, 4), "f32")]))
    out = tmp_path / "out"
    r = tinymem("compile", model, "-o", out)
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() + r.stdout.splitlines() if line.strip()]
    text = " ".join(lines)
    assert "FLOOR" in text and "floor_0" in text and "FULLY_CONNECTED" in text
    assert "Traceback" not in text
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_truncated_model_names_file_and_defect(tmp_path):
    data = _fc_model(tmp_path).read_bytes()
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(data[: len(data) // 3])
    r = tinymem("compile", bad, "-o", tmp_path / "out")
    assert r.returncode == 1
    text = r.stdout + r.stderr
    assert "bad.tflite" in text and ("truncated" in text or "corrupt" in text)
    assert "Traceback" not in text
    assert not (tmp_path / "out").exists()


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "x.tflite"
    bad.write_bytes(b"hello world, not a flatbuffer")
    r = tinymem("inspect", bad)
    assert r.returncode == 1 and "TFL3" in r.stdout + r.stderr


def test_missing_c_compiler_is_named(tmp_path):
    model = _fc_model(tmp_path)
    out = tmp_path / "out"
    assert tinymem("compile", model, "-o", out).returncode == 0
    np.save(tmp_path / "x.npy", np.zeros((1, 8), np.int8))
    r = tinymem("run", out, "--input", tmp_path / "x.npy", env={"CC": "no-such-cc"})
    assert r.returncode == 1
    assert "no-such-cc" in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr


def test_wrong_input_shape_is_reported(tmp_path):
    model = _fc_model(tmp_path)
    out = tmp_path / "out"
    assert tinymem("compile", model, "-o", out).returncode == 0
    np.save(tmp_path / "x.npy", np.zeros((1, 9), np.int8))
    r = tinymem("run", out, "--input", tmp_path / "x.npy")
    assert r.returncode == 1 and "shape" in r.stdout + r.stderr


def test_refuses_to_overwrite_foreign_directory(tmp_path):
    model = _fc_model(tmp_path)
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    r = tinymem("compile", model, "-o", keep)
    assert r.returncode == 1
    assert (keep / "notes.txt").read_text() == "precious"


def test_inspect_prints_op_table(tmp_path):
    r = tinymem("inspect", _fc_model(tmp_path))
    assert r.returncode == 0
    assert "fully_connected" in r.stdout and "40" in r.stdout  # 8*5 MACs
