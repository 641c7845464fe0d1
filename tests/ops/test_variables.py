"""Resource variables: VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE and CALL_ONCE (IR read_variable
and assign_variable on persistent tensors; CALL_ONCE evaluated at compile time), over consecutive
runs with resets, against TFLM."""

import numpy as np
import pytest

from tests.ops.stateful import build_stateful, check_tflite_steps
from tests.tflite_builder import T
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model

RES = dict(shape=(), dtype="resource")


def _init_subgraph(name: str, value: T) -> dict:
    return {"tensors": [T(**RES, name=f"{name}_init_handle"), value],
            "ops": [("VAR_HANDLE", [], [0], {"shared_name": name}), ("ASSIGN_VARIABLE", [0, 1], [])],
            "inputs": [], "outputs": [], "name": "init"}


def _accumulator(dtype: str, init: np.ndarray | None) -> bytes:
    """y = var + x; var = y. With `init`, a CALL_ONCE subgraph assigns it first."""
    q = dict(scale=0.1, zero_point=-3) if dtype == "s8" else {}
    tensors = [T((1, 4), dtype, **q, name="x"), T(**RES, name="acc_handle"), T((1, 4), dtype, **q, name="read"),
               T((1, 4), dtype, **q, name="y")]
    ops = [("VAR_HANDLE", [], [1], {"shared_name": "acc"}), ("READ_VARIABLE", [1], [2]),
           ("ADD", [2, 0], [3]), ("ASSIGN_VARIABLE", [1, 3], [])]
    subgraphs = [{"tensors": tensors, "ops": ops, "inputs": [0], "outputs": [3]}]
    if init is not None:
        ops.insert(0, ("CALL_ONCE", [], [], {"init_subgraph_index": 1}))
        subgraphs.append(_init_subgraph("acc", T((1, 4), dtype, **q, data=init, name="acc_init")))
    return build_stateful(subgraphs)


@pytest.mark.parametrize("dtype", ["f32", "s8"])
def test_call_once_initialises_and_reset_restores(dtype, tmp_path):
    rng = np.random.default_rng(1)
    if dtype == "f32":
        init = np.array([[1.5, -2.0, 0.25, 8.0]], np.float32)
        x = rng.uniform(-1, 1, size=(6, 1, 4)).astype(np.float32)
    else:
        init = np.array([[40, -100, 7, 0]], np.int8)
        x = rng.integers(-20, 20, size=(6, 1, 4)).astype(np.int8)
    model = _accumulator(dtype, init)
    g = canonicalize(load_model_bytes(model, tmp_path))
    (state,) = [t for t in g.tensors.values() if t.persistent]
    assert state.name == "acc" and np.array_equal(state.init, init)
    # the reset compares with a fresh interpreter (CALL_ONCE runs again there)
    check_tflite_steps(model, [x], 6, tmp_path, reset_at=(4,))


def test_default_value_is_zero_point_and_tflm_reset(tmp_path):
    """Without CALL_ONCE TFLM fills a variable with its zero point; MicroInterpreter::Reset()
    puts it back there, like reset_state()."""
    x = np.random.default_rng(2).integers(-128, 128, size=(5, 1, 4)).astype(np.int8)
    check_tflite_steps(_accumulator("s8", None), [x], 5, tmp_path, reset_at=(3,), tflm_reset="reset")


def _stream(dtype: str, zp: int) -> bytes:
    """A streaming buffer (the wake-word pattern): c = concat(var, x) on axis 1, var = c[:, 1:],
    output c; plus a second handle to the same variable read after the assignment. The assigned
    tensor (a reshape of the slice) has zero point `zp`, the others 0 (TFLM's int16 concatenation
    needs 0): TFLM's default value comes from the assigned tensor."""
    q = dict(scale=0.5, zero_point=0)
    tensors = [T((1, 1, 3), dtype, **q, name="x"), T(**RES, name="h1"), T((1, 2, 3), dtype, **q, name="old"),
               T((1, 3, 3), dtype, **q, name="c"), T((3,), "s32", data=np.array([0, 1, 0]), name="begin"),
               T((3,), "s32", data=np.array([1, 3, 3]), name="end"), T((3,), "s32", data=np.ones(3, np.int32), name="st"),
               T((1, 2, 3), dtype, **q, name="keep"), T(**RES, name="h2"), T((1, 2, 3), dtype, **q, name="new"),
               T((3,), "s32", data=np.array([1, 2, 3]), name="shape"),
               T((1, 2, 3), dtype, scale=0.5, zero_point=zp, name="keep_zp")]
    ops = [("VAR_HANDLE", [], [1], {"shared_name": "buf"}), ("READ_VARIABLE", [1], [2]),
           ("CONCATENATION", [2, 0], [3], {"axis": 1}), ("STRIDED_SLICE", [3, 4, 5, 6], [7]),
           ("RESHAPE", [7, 10], [11]), ("ASSIGN_VARIABLE", [1, 11], []),
           ("VAR_HANDLE", [], [8], {"shared_name": "buf"}), ("READ_VARIABLE", [8], [9])]
    return build_stateful([{"tensors": tensors, "ops": ops, "inputs": [0], "outputs": [3, 9]}])


@pytest.mark.parametrize("dtype,zp", [("s8", -5), ("s16", 3)])
def test_streaming_buffer(dtype, zp, tmp_path):
    info = np.iinfo(np.int8 if dtype == "s8" else np.int16)
    x = np.random.default_rng(3).integers(info.min, info.max + 1, size=(6, 1, 1, 3)).astype(info.dtype)
    got = check_tflite_steps(_stream(dtype, zp), [x], 6, tmp_path, reset_at=(4,))
    # step 0 shows the default value; for int16 TFLM memsets the int8-cast zero point byte
    default = np.frombuffer(bytes([zp & 0xFF]) * 2, info.dtype)[0]
    assert np.all(got[0][0, 0, :2] == default)
    # one variable behind both handles: the second read sees the assignment of the same run
    assert np.array_equal(got[1][1], got[0][1][:, 1:])


def load_model_bytes(model: bytes, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    return load_model(path)
