"""Reference runtimes that ``tinymem verify`` compares generated C against.

Three oracles, each imported lazily so that tinymem itself does not depend on them:

``run_tflm``
    The TensorFlow Lite Micro interpreter (``tflite-micro`` package, reference kernels). This is
    the bit-exact oracle for integer TFLite models.

    * Arena: the Python package allocates one arena of ``arena_size`` bytes (its own default is
      10x the flatbuffer size, which is not always enough). We pass a generous default
      (:data:`DEFAULT_TFLM_ARENA_BYTES`, or 10x the model if larger); the memory is malloc'ed and
      only touched where tensors are placed, so a large value costs nothing.
    * Resource variables (VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE / CALL_ONCE, e.g.
      ``mww_okay_nabu``): the C++ ``MicroInterpreter`` only runs them if the application creates a
      ``MicroResourceVariables`` object. The Python package does that by itself:
      ``runtime.Interpreter.__init__`` calls ``count_resource_variables(model)`` (number of distinct
      VAR_HANDLE ``shared_name``s) and passes the count to the C++ wrapper, which creates the
      object. No option is needed. (Constructing the private ``_runtime.InterpreterWrapper`` with a
      count of 0 fails with "VAR_HANDLE requires resource variables".) State then persists across
      ``invoke()`` calls until ``reset()``.
    * Hybrid models (float activations, int8 weights, e.g. ``mlperf_kws_dscnn_f32``) are rejected
      by TFLM at allocation ("Hybrid models are not supported on TFLite Micro"); use
      :func:`run_litert_ref` for those.
    * TFLM writes its log (MicroPrintf) to the C ``stderr``, and only on errors; nothing is printed
      per call. We capture file descriptor 2 while TFLM runs and put the text into the
      ``RuntimeError`` raised on failure, so the reason is not lost and nothing leaks on success.

``run_litert_ref``
    ai-edge-litert's interpreter with ``OpResolverType.BUILTIN_REF`` (reference kernels, no
    XNNPACK delegate). Runs hybrid models that TFLM cannot.

``run_onnxruntime``
    onnxruntime on CPU, with optional state feedback between steps (e.g. silero-vad h/c).

Stepping convention shared by all three: with ``steps == 1`` inputs are passed as they are; with
``steps > 1`` every (non-state) input carries a leading step axis of length ``steps``, the model
is run once per step on one interpreter/session without reset, and each output is returned with a
new leading step axis.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

__all__ = [
    "DEFAULT_TFLM_ARENA_BYTES",
    "run_tflm",
    "run_litert_ref",
    "run_onnxruntime",
    "tflm_io_counts",
]

#: Arena handed to the TFLM interpreter when the caller gives none (64 MiB; the MLPerf Tiny models
#: need at most about 100 KB). The buffer is malloc'ed, so untouched pages cost nothing.
DEFAULT_TFLM_ARENA_BYTES = 64 * 1024 * 1024

_INSTALL_HINT = "pip install tinymem[test]"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _import_tflm_runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            f"tflite-micro is not installed ({exc}): {_INSTALL_HINT}"
        ) from exc
    return runtime


@contextlib.contextmanager
def _captured_fd(fd: int = 2) -> Iterator[list[str]]:
    """Redirect OS-level file descriptor ``fd`` to a temp file while the block runs.

    Yields a list that receives the captured text (one item) when the block ends. Used to keep
    TFLM's C-level log out of the terminal while still reporting it on failure. Not thread-safe
    (file descriptors are process-wide).
    """
    out: list[str] = []
    stream = sys.stderr if fd == 2 else sys.stdout if fd == 1 else None
    try:
        if stream is not None:
            stream.flush()
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):  # no real fd (odd embedding): don't capture
        yield out
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield out
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            out.append(tmp.read().decode("utf-8", "replace"))


def _with_log(exc: BaseException, log: list[str], what: str) -> RuntimeError:
    text = "".join(log).strip()
    msg = f"{what}: {exc}"
    if text:
        msg += "\n--- TFLM log ---\n" + text
    return RuntimeError(msg)


def tflm_io_counts(model_bytes: bytes) -> tuple[int, int]:
    """(number of inputs, number of outputs) of subgraph 0 of a TFLite flatbuffer."""
    try:
        from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema_fb
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError(f"tflite-micro is not installed ({exc}): {_INSTALL_HINT}") from exc
    model = schema_fb.Model.GetRootAsModel(bytearray(model_bytes), 0)
    if model.SubgraphsLength() < 1:
        raise ValueError("TFLite model has no subgraph")
    sg = model.Subgraphs(0)
    return sg.InputsLength(), sg.OutputsLength()


def _check_steps(steps: int) -> None:
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")


def _step_slice(x: np.ndarray, steps: int, t: int, name: str) -> np.ndarray:
    """Input for step ``t``: ``x`` itself when steps == 1, else ``x[t]`` (checked)."""
    if steps == 1:
        return x
    if x.ndim == 0 or x.shape[0] != steps:
        raise ValueError(
            f"input {name}: with steps={steps} a leading step axis of length {steps} is "
            f"required, got shape {x.shape}"
        )
    return np.asarray(x[t])


def _fit_input(x: np.ndarray, shape: Sequence[int], dtype, name: str) -> np.ndarray:
    """Check dtype and reshape ``x`` to ``shape`` when only the layout of dims of size 1 differs."""
    x = np.asarray(x)
    dtype = np.dtype(dtype)
    if x.dtype != dtype:
        raise ValueError(f"input {name}: dtype {x.dtype} given, model expects {dtype}")
    shape = tuple(int(d) for d in shape)
    if x.shape != shape:
        if x.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"input {name}: shape {x.shape} given, model expects {shape}")
        x = x.reshape(shape)
    return np.ascontiguousarray(x)


def _stack(per_step: list[list[np.ndarray]], steps: int) -> list[np.ndarray]:
    if steps == 1:
        return per_step[0]
    return [np.stack([step[i] for step in per_step]) for i in range(len(per_step[0]))]


# --------------------------------------------------------------------------------------------
# TFLM
# --------------------------------------------------------------------------------------------


def run_tflm(
    model_bytes: bytes,
    inputs: Sequence[np.ndarray],
    steps: int = 1,
    *,
    arena_size: int | None = None,
) -> list[np.ndarray]:
    """Run a TFLite model on the TFLM interpreter; return its outputs in model order.

    ``inputs`` are in model input order, with the model's dtype (no implicit casting). With
    ``steps > 1`` each input has a leading step axis; the interpreter (created once) is invoked
    once per step without reset, so variable tensors and resource variables carry over, and each
    output gains a leading step axis. ``arena_size`` defaults to
    ``max(DEFAULT_TFLM_ARENA_BYTES, 10 * len(model_bytes))``.
    """
    runtime = _import_tflm_runtime()
    _check_steps(steps)
    model_bytes = bytes(model_bytes)
    n_in, n_out = tflm_io_counts(model_bytes)
    inputs = [np.asarray(x) for x in inputs]
    if len(inputs) != n_in:
        raise ValueError(f"model has {n_in} input(s), {len(inputs)} given")
    if arena_size is None:
        arena_size = max(DEFAULT_TFLM_ARENA_BYTES, 10 * len(model_bytes))

    per_step: list[list[np.ndarray]] = []
    with _captured_fd(2) as log:
        try:
            interp = runtime.Interpreter.from_bytes(model_bytes, arena_size=int(arena_size))
            details = [interp.get_input_details(i) for i in range(n_in)]
            for t in range(steps):
                for i, (x, d) in enumerate(zip(inputs, details)):
                    xt = _step_slice(x, steps, t, str(i))
                    interp.set_input(_fit_input(xt, d["shape"], d["dtype"], str(i)), i)
                interp.invoke()
                per_step.append([np.array(interp.get_output(o), copy=True) for o in range(n_out)])
        except ValueError:
            raise
        except Exception as exc:
            failure = exc
        else:
            failure = None
    if failure is not None:
        raise _with_log(failure, log, "TFLM failed") from failure
    return _stack(per_step, steps)


# --------------------------------------------------------------------------------------------
# ai-edge-litert, reference kernels
# --------------------------------------------------------------------------------------------


def run_litert_ref(
    model_bytes: bytes,
    inputs: Sequence[np.ndarray],
    steps: int = 1,
) -> list[np.ndarray]:
    """Run a TFLite model on ai-edge-litert with the BUILTIN_REF resolver (no XNNPACK).

    Same conventions as :func:`run_tflm`. Useful for hybrid models (int8 weights, float
    activations) that TFLM refuses. An input whose shape differs from the model's (dynamic batch
    etc.) is resized when its element count differs.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError(
            f"ai-edge-litert is not installed ({exc}): pip install ai-edge-litert "
            f"(or pip install tinymem[bench])"
        ) from exc
    _check_steps(steps)
    interp = Interpreter(
        model_content=bytes(model_bytes),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
    )
    in_details = interp.get_input_details()
    inputs = [np.asarray(x) for x in inputs]
    if len(inputs) != len(in_details):
        raise ValueError(f"model has {len(in_details)} input(s), {len(inputs)} given")
    # resize dynamic inputs once, from the first step's shape
    resized = False
    for x, d in zip(inputs, in_details):
        x0 = _step_slice(x, steps, 0, d["name"])
        if x0.size != int(np.prod(d["shape"], dtype=np.int64)):
            interp.resize_tensor_input(d["index"], list(x0.shape))
            resized = True
    interp.allocate_tensors()
    if resized:
        in_details = interp.get_input_details()
    out_details = interp.get_output_details()

    per_step: list[list[np.ndarray]] = []
    for t in range(steps):
        for x, d in zip(inputs, in_details):
            xt = _step_slice(x, steps, t, d["name"])
            interp.set_tensor(d["index"], _fit_input(xt, d["shape"], d["dtype"], d["name"]))
        interp.invoke()
        per_step.append([np.array(interp.get_tensor(d["index"]), copy=True) for d in out_details])
    return _stack(per_step, steps)


# --------------------------------------------------------------------------------------------
# onnxruntime
# --------------------------------------------------------------------------------------------


def run_onnxruntime(
    model_path_or_bytes,
    feeds: Mapping[str, np.ndarray],
    steps: int = 1,
    state_pairs: Mapping[str, str] | None = None,
    basic_optimizations: bool = False,
) -> list[np.ndarray]:
    """Run an ONNX model on onnxruntime (CPU); return all outputs in model output order.

    ``basic_optimizations``: run at ORT_ENABLE_BASIC, which keeps QDQ models as
    dequantize -> float op -> quantize (their ONNX meaning); the default level fuses them into
    onnxruntime's own int8 kernels, which drift from that meaning by several steps on some CPUs.

    ``model_path_or_bytes``: a path (str/Path), the serialized model (bytes), or an
    ``onnx.ModelProto``. ``feeds`` maps input names to arrays. ``state_pairs`` maps a state input
    name to the output name fed back into it after each step; the state input's feed is its
    initial value (no step axis; zeros if omitted and its shape is static). With ``steps > 1``
    every other feed carries a leading step axis, and every output (state outputs included) gains
    one.
    """
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError(f"onnxruntime is not installed ({exc}): {_INSTALL_HINT}") from exc
    _check_steps(steps)
    state_pairs = dict(state_pairs or {})

    model = model_path_or_bytes
    if hasattr(model, "SerializeToString"):  # onnx.ModelProto
        model = model.SerializeToString()
    elif isinstance(model, Path):
        model = str(model)
    elif isinstance(model, (bytearray, memoryview)):
        model = bytes(model)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # errors only
    if basic_optimizations:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])

    in_meta = {i.name: i for i in sess.get_inputs()}
    out_names = [o.name for o in sess.get_outputs()]
    for s_in, s_out in state_pairs.items():
        if s_in not in in_meta:
            raise ValueError(f"state input {s_in!r} is not a model input ({sorted(in_meta)})")
        if s_out not in out_names:
            raise ValueError(f"state output {s_out!r} is not a model output ({out_names})")
    unknown = set(feeds) - set(in_meta)
    if unknown:
        raise ValueError(f"unknown feed(s) {sorted(unknown)}; model inputs are {sorted(in_meta)}")

    state: dict[str, np.ndarray] = {}
    for s_in in state_pairs:
        if s_in in feeds:
            state[s_in] = np.asarray(feeds[s_in])
        else:
            shape = in_meta[s_in].shape
            if not all(isinstance(d, int) for d in shape):
                raise ValueError(
                    f"state input {s_in!r} has dynamic shape {shape}: give its initial value in feeds"
                )
            state[s_in] = np.zeros(shape, dtype=_ort_np_dtype(in_meta[s_in].type))
    stepped = {k: np.asarray(v) for k, v in feeds.items() if k not in state_pairs}
    missing = set(in_meta) - set(stepped) - set(state)
    if missing:
        raise ValueError(f"missing feed(s) {sorted(missing)}")

    per_step: list[list[np.ndarray]] = []
    for t in range(steps):
        run_feeds = {k: _step_slice(v, steps, t, k) for k, v in stepped.items()}
        run_feeds.update(state)
        outs = sess.run(out_names, run_feeds)
        per_step.append([np.array(o, copy=True) for o in outs])
        for s_in, s_out in state_pairs.items():
            state[s_in] = per_step[-1][out_names.index(s_out)]
    return _stack(per_step, steps)


_ORT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(int16)": np.int16,
    "tensor(uint16)": np.uint16,
    "tensor(int32)": np.int32,
    "tensor(uint32)": np.uint32,
    "tensor(int64)": np.int64,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
}


def _ort_np_dtype(type_str: str):
    try:
        return _ORT_TYPES[type_str]
    except KeyError:
        raise ValueError(f"unsupported state type {type_str}") from None
