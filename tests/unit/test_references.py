"""Quick checks of the reference runtimes in tinymem.sim.references."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tinymem.sim import references as refs

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MODELS = SHARED / "models"

needs_models = pytest.mark.skipif(
    not MODELS.is_dir(), reason=f"shared models folder not found at {MODELS}"
)


def _model(name: str) -> bytes:
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"model {name} not found in {MODELS}")
    return path.read_bytes()


@pytest.fixture(scope="module")
def tflm():
    return pytest.importorskip("tflite_micro.python.tflite_micro.runtime")


# ------------------------------------------------------------------------------------ TFLM


@needs_models
def test_tflm_hello_world_deterministic_and_sine(tflm):
    model = _model("tflm_hello_world_int8.tflite")
    # input scale 0.0244801, zero point -128; output scale 0.00829096, zero point 5
    x_real = math.pi / 2
    q_in = np.array([[round(x_real / 0.02448012) - 128]], dtype=np.int8)
    first = refs.run_tflm(model, [q_in])
    second = refs.run_tflm(model, [q_in])
    assert len(first) == 1 and first[0].dtype == np.int8 and first[0].shape == (1, 1)
    np.testing.assert_array_equal(first[0], second[0])
    y_real = (int(first[0][0, 0]) - 5) * 0.00829096
    assert abs(y_real - math.sin(x_real)) < 0.15


@needs_models
def test_tflm_steps_match_separate_calls(tflm):
    model = _model("tflm_hello_world_int8.tflite")
    xs = np.arange(-128, 128, 16, dtype=np.int8).reshape(-1, 1, 1)
    stacked = refs.run_tflm(model, [xs], steps=len(xs))
    assert stacked[0].shape == (len(xs), 1, 1)
    for t, x in enumerate(xs):
        np.testing.assert_array_equal(stacked[0][t], refs.run_tflm(model, [x])[0])


@needs_models
def test_tflm_stateful_steps_carry_resource_variables(tflm):
    """mww_okay_nabu keeps its streaming buffers in resource variables between invokes."""
    model = _model("mww_okay_nabu.tflite")
    rng = np.random.default_rng(1)
    xs = np.clip(127 + rng.integers(-30, 30, (40, 1, 3, 40)), -128, 127).astype(np.int8)
    got = refs.run_tflm(model, [xs], steps=len(xs))[0]

    interp = tflm.Interpreter.from_bytes(model, arena_size=1 << 20)
    manual = []
    for x in xs:
        interp.set_input(x, 0)
        interp.invoke()
        manual.append(interp.get_output(0))
    np.testing.assert_array_equal(got, np.stack(manual))
    assert got.shape == (40, 1, 1)
    # the same frames one per fresh interpreter give a different sequence: state was carried
    fresh = np.stack([refs.run_tflm(model, [x])[0] for x in xs[-12:]])
    assert got[-12:].any() and not np.array_equal(got[-12:], fresh)


@needs_models
def test_tflm_hybrid_model_error_names_the_reason(tflm):
    model = _model("mlperf_kws_dscnn_f32.tflite")
    with pytest.raises(RuntimeError, match="Hybrid models are not supported"):
        refs.run_tflm(model, [np.zeros((1, 49, 10, 1), np.float32)])


@needs_models
def test_tflm_rejects_wrong_dtype_and_missing_step_axis(tflm):
    model = _model("tflm_hello_world_int8.tflite")
    with pytest.raises(ValueError, match="dtype"):
        refs.run_tflm(model, [np.zeros((1, 1), np.float32)])
    with pytest.raises(ValueError, match="step axis"):
        refs.run_tflm(model, [np.zeros((1, 1), np.int8)], steps=3)
    with pytest.raises(ValueError, match="input"):
        refs.run_tflm(model, [])


# ------------------------------------------------------------------------------ onnxruntime


def _accumulator_model():
    """y = x * 2 + s ; s_out = y  (state fed back), plus a second output z = x."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["x2"]),
        helper.make_node("Add", ["x2", "s"], ["y"]),
        helper.make_node("Identity", ["y"], ["s_out"]),
        helper.make_node("Identity", ["x"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes,
        "acc",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, 4]),
        ],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4]),
        ],
        initializer=[two],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def test_onnxruntime_single_step_bytes_and_proto():
    pytest.importorskip("onnxruntime")
    model = _accumulator_model()
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    s = np.ones((1, 4), np.float32)
    for m in (model, model.SerializeToString()):
        y, s_out, z = refs.run_onnxruntime(m, {"x": x, "s": s})
        np.testing.assert_array_equal(y, x * 2 + s)
        np.testing.assert_array_equal(s_out, y)
        np.testing.assert_array_equal(z, x)


def test_onnxruntime_steps_with_state(tmp_path):
    pytest.importorskip("onnxruntime")
    model = _accumulator_model()
    path = tmp_path / "acc.onnx"
    path.write_bytes(model.SerializeToString())
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((5, 1, 4)).astype(np.float32)
    # initial state omitted: static shape, so zeros
    y, s_out, z = refs.run_onnxruntime(path, {"x": xs}, steps=5, state_pairs={"s": "s_out"})
    assert y.shape == (5, 1, 4) and s_out.shape == (5, 1, 4)
    np.testing.assert_allclose(y, np.cumsum(xs * 2, axis=0), rtol=1e-6)
    np.testing.assert_array_equal(z, xs)
    # explicit initial state, path given as str
    s0 = np.full((1, 4), 10, np.float32)
    y2 = refs.run_onnxruntime(str(path), {"x": xs, "s": s0}, steps=5, state_pairs={"s": "s_out"})[0]
    np.testing.assert_allclose(y2, y + 10, rtol=1e-6)
    with pytest.raises(ValueError, match="state output"):
        refs.run_onnxruntime(path, {"x": xs}, steps=5, state_pairs={"s": "nope"})


def test_missing_package_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(RuntimeError, match=r"not installed.*pip install"):
        refs.run_onnxruntime(b"", {})
