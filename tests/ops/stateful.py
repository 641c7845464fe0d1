"""Helpers for stateful operator tests (LSTM, SVDF, resource variables): several consecutive runs
that carry state, optionally with resets between them.

- `build_stateful(subgraphs)`: a TFLite flatbuffer with any number of subgraphs, variable tensors
  (`T(..., variable=True)`) and RESOURCE tensors (dtype "resource"), written with the `tflite`
  package's builder functions like tests/tflite_builder.py (whose helpers it reuses).
- `run_tflm_steps`, `interpret_steps`, `run_host_steps`: the same N steps on TFLM (the oracle), the
  numpy references and the generated C (host harness; resets via main_host.c's RESET_STEP args).
- `check_tflite_steps(model, inputs, steps, tmp_path, reset_at)`: all three, equal at every step.

A reset before step k means: TFLM gets a freshly created interpreter (what tinymem's
reset_state() restores, CALL_ONCE values included; `tflm_reset="reset"` uses
MicroInterpreter::Reset() instead), tinymem calls reset_state().
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import flatbuffers
import numpy as np
import tflite

from tests.ops.harness import assert_close
from tests.tflite_builder import (DTYPES, FILE_IDENTIFIER, OPTIONS_TABLE, SCHEMA_VERSION, T, _aligned_bytes,
                                  _build_quantization, _builtin_code, _default_options, _enum_value,
                                  _int_vector, _short_dtype, _tensor_bytes, _camel)
from tinymem.compile import compile_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.ir import np_dtype
from tinymem.ops import get_op
from tinymem.sim.host import build_host, io_descriptors

EXTRA_OPTIONS = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "SVDF": "SVDFOptions",
    "VAR_HANDLE": "VarHandleOptions",
    "CALL_ONCE": "CallOnceOptions",
    "READ_VARIABLE": "ReadVariableOptions",
    "ASSIGN_VARIABLE": "AssignVariableOptions",
}


@dataclass
class V(T):
    """T with `variable` (a TFLite variable tensor: state kept by the interpreter)."""

    variable: bool = False


def _type_code(t: T) -> int:
    if t.dtype == "resource":
        return tflite.TensorType.RESOURCE
    return DTYPES[_short_dtype(t.dtype)][0]


def _options(b: flatbuffers.Builder, op: str, options: dict):
    table = EXTRA_OPTIONS.get(op) or OPTIONS_TABLE.get(op)
    if table is None:
        assert not options, f"{op} takes no options"
        return tflite.BuiltinOptions.NONE, None
    resolved = []
    for field, value in options.items():
        adder = getattr(tflite, f"{table}Add{_camel(field)}")
        value = _enum_value(field, value)
        if isinstance(value, str):
            value = b.CreateString(value)
        elif isinstance(value, (list, tuple, np.ndarray)):
            value = _int_vector(b, value, getattr(tflite, f"{table}Start{_camel(field)}Vector"))
        resolved.append((adder, value))
    getattr(tflite, f"{table}Start")(b)
    for adder, value in resolved:
        adder(b, value)
    return getattr(tflite.BuiltinOptions, table), getattr(tflite, f"{table}End")(b)


def build_stateful(subgraphs: Sequence[dict]) -> bytes:
    """subgraphs: dicts with "tensors" (T / V), "ops" [(name, ins, outs[, options])], "inputs",
    "outputs" (tensor indices). Subgraph 0 is the main graph."""
    b = flatbuffers.Builder(4096)
    buffers: list[bytes | None] = [None]
    tensor_buffer = []
    for sg in subgraphs:
        ids = []
        for t in sg["tensors"]:
            if t.data is None:
                ids.append(0)
            else:
                ids.append(len(buffers))
                buffers.append(_tensor_bytes(t))
        tensor_buffer.append(ids)
    buffer_offsets = []
    for data in buffers:
        vec = _aligned_bytes(b, data) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffer_offsets.append(tflite.BufferEnd(b))

    opcodes: dict[str, int] = {}
    for sg in subgraphs:
        for entry in sg["ops"]:
            opcodes.setdefault(entry[0], len(opcodes))

    def table_vector(start_fn, offsets):
        start_fn(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    sg_offsets = []
    for k, sg in enumerate(subgraphs):
        tensor_offsets = []
        for i, (t, buf) in enumerate(zip(sg["tensors"], tensor_buffer[k])):
            name = b.CreateString(t.name or f"t{i}")
            shape = _int_vector(b, t.shape, tflite.TensorStartShapeVector)
            quant = _build_quantization(b, t) if t.dtype != "resource" else None
            tflite.TensorStart(b)
            tflite.TensorAddShape(b, shape)
            tflite.TensorAddType(b, _type_code(t))
            tflite.TensorAddBuffer(b, buf)
            tflite.TensorAddName(b, name)
            if getattr(t, "variable", False):
                tflite.TensorAddIsVariable(b, True)
            if quant is not None:
                tflite.TensorAddQuantization(b, quant)
            tensor_offsets.append(tflite.TensorEnd(b))
        op_offsets = []
        for entry in sg["ops"]:
            name, ins, outs = entry[:3]
            opts = dict(entry[3]) if len(entry) > 3 else {}
            if name in OPTIONS_TABLE:
                opts = _default_options(name, opts, [sg["tensors"][i] if i >= 0 else None for i in ins],
                                        [sg["tensors"][i] for i in outs])
            in_vec = _int_vector(b, ins, tflite.OperatorStartInputsVector)
            out_vec = _int_vector(b, outs, tflite.OperatorStartOutputsVector)
            opt_type, opt_off = _options(b, name, opts)
            tflite.OperatorStart(b)
            tflite.OperatorAddOpcodeIndex(b, opcodes[name])
            tflite.OperatorAddInputs(b, in_vec)
            tflite.OperatorAddOutputs(b, out_vec)
            tflite.OperatorAddBuiltinOptionsType(b, opt_type)
            if opt_off is not None:
                tflite.OperatorAddBuiltinOptions(b, opt_off)
            op_offsets.append(tflite.OperatorEnd(b))
        t_vec = table_vector(tflite.SubGraphStartTensorsVector, tensor_offsets)
        i_vec = _int_vector(b, sg["inputs"], tflite.SubGraphStartInputsVector)
        o_vec = _int_vector(b, sg["outputs"], tflite.SubGraphStartOutputsVector)
        ops_vec = table_vector(tflite.SubGraphStartOperatorsVector, op_offsets)
        sg_name = b.CreateString(sg.get("name", f"subgraph{k}"))
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, t_vec)
        tflite.SubGraphAddInputs(b, i_vec)
        tflite.SubGraphAddOutputs(b, o_vec)
        tflite.SubGraphAddOperators(b, ops_vec)
        tflite.SubGraphAddName(b, sg_name)
        sg_offsets.append(tflite.SubGraphEnd(b))

    code_offsets = []
    for name in opcodes:
        code = _builtin_code(name)
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddVersion(b, 1)
        tflite.OperatorCodeAddBuiltinCode(b, code)
        code_offsets.append(tflite.OperatorCodeEnd(b))
    m_codes = table_vector(tflite.ModelStartOperatorCodesVector, code_offsets)
    m_sgs = table_vector(tflite.ModelStartSubgraphsVector, sg_offsets)
    m_desc = b.CreateString("tinymem tests.ops.stateful")
    m_bufs = table_vector(tflite.ModelStartBuffersVector, buffer_offsets)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, SCHEMA_VERSION)
    tflite.ModelAddOperatorCodes(b, m_codes)
    tflite.ModelAddSubgraphs(b, m_sgs)
    tflite.ModelAddDescription(b, m_desc)
    tflite.ModelAddBuffers(b, m_bufs)
    b.Finish(tflite.ModelEnd(b), file_identifier=FILE_IDENTIFIER)
    return bytes(b.Output())


def single_stateful_op(op: str, inputs: Sequence[T | None], outputs: Sequence[T], **options) -> bytes:
    """One operator in one subgraph; inputs without data that are not variables are the model
    inputs (in order); None marks an omitted optional input."""
    tensors, op_inputs = [], []
    for t in inputs:
        if t is None:
            op_inputs.append(-1)
        else:
            op_inputs.append(len(tensors))
            tensors.append(t)
    outs = list(range(len(tensors), len(tensors) + len(outputs)))
    tensors.extend(outputs)
    model_inputs = [i for i in op_inputs if i >= 0 and tensors[i].data is None
                    and not getattr(tensors[i], "variable", False)]
    return build_stateful([{"tensors": tensors, "ops": [(op, op_inputs, outs, options)],
                            "inputs": model_inputs, "outputs": outs}])


# ---- the three runners ----------------------------------------------------------------------


def run_tflm_steps(model: bytes, inputs: Sequence[np.ndarray], steps: int, reset_at=(),
                   tflm_reset: str = "fresh") -> list[np.ndarray]:
    """Inputs and outputs carry a leading step axis. Before each step in reset_at the state is
    reset: a fresh interpreter ("fresh") or MicroInterpreter::Reset() ("reset")."""
    from tflite_micro.python.tflite_micro import runtime

    def make():
        return runtime.Interpreter.from_bytes(model, arena_size=8 * 1024 * 1024)

    n_out = tflite.Model.GetRootAs(model, 0).Subgraphs(0).OutputsLength()
    interp, outs = make(), []
    for s in range(steps):
        if s in reset_at:
            if tflm_reset == "fresh":
                interp = make()
            else:
                interp.reset()
        for i, x in enumerate(inputs):
            interp.set_input(np.ascontiguousarray(x[s]), i)
        interp.invoke()
        outs.append([np.array(interp.get_output(i), copy=True) for i in range(n_out)])
    return [np.stack([o[i] for o in outs]) for i in range(n_out)]


def initial_state(g) -> dict[str, np.ndarray]:
    """Persistent tensors at init / reset_state(), as the generated code sets them."""
    state = {}
    for n, t in g.tensors.items():
        if t.persistent:
            if t.init is not None:
                state[n] = np.asarray(t.init, np_dtype(t.dtype)).reshape(t.shape).copy()
            else:
                state[n] = np.full(t.shape, t.zero_point if t.quant is not None else 0, np_dtype(t.dtype))
    return state


def interpret_steps(g, inputs: Sequence[np.ndarray], steps: int, reset_at=()) -> list[np.ndarray]:
    """The IR run with the numpy references, state carried between steps."""
    state, outs = initial_state(g), []
    for s in range(steps):
        if s in reset_at:
            state = initial_state(g)
        values = dict(state)
        for name, t in g.tensors.items():
            if t.is_const:
                values[name] = t.data
        for name, x in zip(g.inputs, inputs):
            t = g.tensor(name)
            values[name] = np.asarray(x[s], np_dtype(t.dtype)).reshape(t.shape)
        for node in g.nodes:
            res = get_op(node.op).reference(node, g, [values[n] if n else None for n in node.inputs])
            for name, v in zip(node.outputs, res):
                t = g.tensor(name)
                values[name] = np.asarray(v, np_dtype(t.dtype)).reshape(t.shape)
        state = {n: values[n] for n in state}
        outs.append([values[n] for n in g.outputs])
    return [np.stack([o[i] for o in outs]) for i in range(len(g.outputs))]


def run_host_steps(out: Path, inputs: Sequence[np.ndarray], steps: int, reset_at=(),
                   profile: str = "release") -> list[np.ndarray]:
    """The generated C on the host harness; resets through main_host.c's RESET_STEP arguments."""
    exe = build_host(out, profile)
    in_desc, out_desc = io_descriptors(out)
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        with open(fin, "wb") as f:
            for s in range(steps):
                for x, d in zip(inputs, in_desc):
                    f.write(np.ascontiguousarray(x[s], dtype=np_dtype(d["dtype"])).tobytes())
        cmd = [str(exe), str(fin), str(fout), str(steps)] + [str(k) for k in sorted(reset_at)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, f"host model failed ({result.returncode}): {result.stderr}"
        raw = fout.read_bytes()
    outs, pos = [[] for _ in out_desc], 0
    for _ in range(steps):
        for i, d in enumerate(out_desc):
            dt, n = np_dtype(d["dtype"]), int(np.prod(d["shape"], dtype=np.int64))
            outs[i].append(np.frombuffer(raw, dtype=dt, count=n, offset=pos).reshape(d["shape"]))
            pos += n * dt.itemsize
    return [np.stack(o) for o in outs]


def check_tflite_steps(model: bytes, inputs: Sequence[np.ndarray], steps: int, tmp_path: Path | None = None,
                       reset_at=(), atol: float = 1e-5, profile: str = "sanitize",
                       tflm_reset: str = "fresh") -> list[np.ndarray]:
    """TFLM vs numpy references vs generated C (ASan + UBSan) over `steps` consecutive runs."""
    want = run_tflm_steps(model, inputs, steps, reset_at, tflm_reset)
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(model)
        g = canonicalize(load_model(path))
        ref = interpret_steps(g, inputs, steps, reset_at)
        compile_model(path, Path(tmp) / "out")
        got = run_host_steps(Path(tmp) / "out", inputs, steps, reset_at, profile)
    for i, w in enumerate(want):
        for s in range(steps):
            assert_close(ref[i][s], w[s], atol, f"numpy reference vs TFLM, output {i}, step {s}")
            assert_close(got[i][s], w[s], atol, f"generated C vs TFLM, output {i}, step {s}")
    return got
