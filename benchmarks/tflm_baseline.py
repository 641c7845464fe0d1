"""TFLM baseline figures: minimum arena and instructions per inference.

    python benchmarks/tflm_baseline.py            # table for the 4 MLPerf Tiny int8 models
    python benchmarks/tflm_baseline.py --no-instructions   # arena only (seconds, not minutes)

``tflm_arena_bytes(model)``: the smallest ``arena_size`` the ``tflite-micro`` Python interpreter
accepts (construction, which runs AllocateTensors, succeeds and one ``invoke()`` works), found by
bisection to the byte (the accepted sizes are monotonic: checked around each MLPerf minimum).

``tflm_instructions(model, x)``: x86-64 instructions executed inside
``tflite::micro::MicroInterpreter::Invoke()`` for one inference, counted by callgrind
(``--toggle-collect='*MicroInterpreter::Invoke*'``) around a small Python script that loads the
model, sets the input and invokes once. Takes a minute or two per model under valgrind.

Both use the x86-64 build of the package (reference kernels, 8-byte pointers: the persistent part
of the arena is larger than on a 32-bit MCU).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

try:  # imported as part of the repo (python -m benchmarks.tflm_baseline, tests, ...)
    from benchmarks.callgrind import count_instructions
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    from callgrind import count_instructions  # type: ignore[no-redef]

__all__ = ["tflm_arena_bytes", "tflm_instructions", "mlperf_sample_input", "MLPERF_MODELS"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
MODELS_DIR = SHARED / "models"
DATA_DIR = SHARED / "data" / "mlperf"

#: (label, model file, data folder) for the MLPerf Tiny int8 benchmark models
MLPERF_MODELS = [
    ("KWS", "mlperf_kws_dscnn_int8.tflite", "kws01"),
    ("VWW", "mlperf_vww_mbv1_int8.tflite", "vww01"),
    ("IC", "mlperf_ic_resnet8_int8.tflite", "ic01"),
    ("AD", "mlperf_ad_autoenc_int8.tflite", "ad01"),
]

# Script run under valgrind: argv = model path, input .npy path, arena size.
_INVOKE_SCRIPT = r"""
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
model_path, input_path, arena = sys.argv[1], sys.argv[2], int(sys.argv[3])
interp = runtime.Interpreter.from_file(model_path, arena_size=arena)
interp.set_input(np.load(input_path), 0)
interp.invoke()
"""


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:
        raise RuntimeError(f"tflite-micro is not installed ({exc}): pip install tinymem[test]") from exc
    return runtime


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence fd 2 (TFLM prints an error for every failed allocation during the bisection)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _arena_ok(runtime, model: bytes, size: int, n_inputs: int) -> bool:
    try:
        interp = runtime.Interpreter.from_bytes(model, arena_size=size)
        for i in range(n_inputs):
            d = interp.get_input_details(i)
            interp.set_input(np.zeros(tuple(d["shape"]), d["dtype"]), i)
        interp.invoke()
    except RuntimeError:
        return False
    return True


def _n_inputs(model: bytes) -> int:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema_fb

    return schema_fb.Model.GetRootAsModel(bytearray(model), 0).Subgraphs(0).InputsLength()


def tflm_arena_bytes(model_path: str | os.PathLike, granularity: int = 1) -> int:
    """Smallest arena (bytes, a multiple of ``granularity``) for which TFLM allocates and
    invokes the model. The default searches to the byte (about 20 trial allocations): the exact
    minimum is not always a multiple of 16 (AD autoencoder: 4,632 B)."""
    if granularity < 1:
        raise ValueError("granularity must be >= 1")
    runtime = _runtime()
    model = Path(model_path).read_bytes()
    n_in = _n_inputs(model)
    with _quiet_stderr():
        hi = -(-max(64 * 1024, 2 * len(model)) // granularity)
        while not _arena_ok(runtime, model, hi * granularity, n_in):
            hi *= 2
            if hi * granularity > 1 << 31:
                raise RuntimeError(f"TFLM cannot run {model_path} with any arena up to 2 GiB")
        lo = 0  # lo always fails (an empty arena cannot hold anything), hi always succeeds
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _arena_ok(runtime, model, mid * granularity, n_in):
                hi = mid
            else:
                lo = mid
    return hi * granularity


def tflm_instructions(
    model_path: str | os.PathLike,
    input_array: np.ndarray,
    *,
    arena_size: int = 16 * 1024 * 1024,
    toggle_collect: str = "*MicroInterpreter::Invoke*",
) -> int:
    """Instructions (callgrind Ir) executed inside ``MicroInterpreter::Invoke`` for one inference."""
    _runtime()  # fail early with a clear message if the package is missing
    with tempfile.TemporaryDirectory(prefix="tinymem_tflm_") as tmp:
        script = Path(tmp) / "invoke_once.py"
        script.write_text(_INVOKE_SCRIPT)
        inp = Path(tmp) / "input.npy"
        np.save(inp, np.ascontiguousarray(input_array))
        cmd = [sys.executable, str(script), str(Path(model_path).resolve()), str(inp), str(arena_size)]
        env = dict(os.environ)
        env.setdefault("PYTHONMALLOC", "malloc")  # friendlier to valgrind; no effect on the count
        return count_instructions(cmd, toggle_collect, env=env)


def mlperf_sample_input(model_path: str | os.PathLike, data_folder: str | None) -> np.ndarray:
    """First labelled sample of the MLPerf data folder, prepared as README says; zeros if absent."""
    runtime = _runtime()
    interp = runtime.Interpreter.from_file(str(model_path), arena_size=16 * 1024 * 1024)
    d = interp.get_input_details(0)
    shape, dtype = tuple(int(s) for s in d["shape"]), d["dtype"]
    zeros = np.zeros(shape, dtype)
    folder = DATA_DIR / data_folder if data_folder else None
    if folder is None or not (folder / "y_labels.csv").exists():
        return zeros
    row = (folder / "y_labels.csv").read_text().splitlines()[0].split(",")
    raw = (folder / row[0]).read_bytes()
    q = d["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    if data_folder.startswith("kws"):
        x = np.frombuffer(raw, np.int8)
    elif data_folder.startswith("ic"):
        x = np.frombuffer(raw, np.uint8).astype(np.int16) - 128
    elif data_folder.startswith("vww"):
        u8 = np.frombuffer(raw, np.uint8).astype(np.float64)
        x = np.round(u8 / 255.0 / scale) + zp
    elif data_folder.startswith("ad"):
        f = np.frombuffer(raw, "<f4")[: int(np.prod(shape))].astype(np.float64)
        x = np.round(f / scale) + zp
    else:
        return zeros
    info = np.iinfo(dtype)
    return np.clip(x, info.min, info.max).astype(dtype).reshape(shape)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    ap.add_argument("--no-instructions", action="store_true", help="skip the callgrind runs")
    args = ap.parse_args(argv)

    print(f"{'model':<6} {'file':<32} {'arena bytes':>12} {'instructions':>14}")
    for label, fname, data in MLPERF_MODELS:
        path = args.models_dir / fname
        if not path.exists():
            print(f"{label:<6} {fname:<32} {'(missing)':>12}")
            continue
        arena = tflm_arena_bytes(path)
        if args.no_instructions:
            instr = "-"
        else:
            instr = f"{tflm_instructions(path, mlperf_sample_input(path, data)) / 1e6:.2f} M"
        print(f"{label:<6} {fname:<32} {arena:>12,} {instr:>14}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
