"""Instructions per inference: generated C vs TFLite Micro's reference kernels (x86-64, callgrind).

For each MLPerf Tiny int8 model: compile time, instructions of one `tm_<model>_run()` of the host
build (callgrind, collection toggled on the run function) and of one TFLM `MicroInterpreter::Invoke`
(the `tflite-micro` package), their ratio, and instructions per MAC. First milestone: ratio <= 0.5.

    python benchmarks/speed.py [--models KWS,IC]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.callgrind import count_instructions  # noqa: E402
from benchmarks.tflm_baseline import MLPERF_MODELS, MODELS_DIR, mlperf_sample_input, tflm_instructions  # noqa: E402
from tinymem.compile import compile_model  # noqa: E402
from tinymem.sim.host import build_host  # noqa: E402


def tinymem_instructions(out: Path, x: np.ndarray, prefix: str) -> int:
    exe = build_host(out)
    with tempfile.TemporaryDirectory() as tmp:
        fin = Path(tmp) / "in.bin"
        fin.write_bytes(np.ascontiguousarray(x).tobytes())
        return count_instructions([str(exe), str(fin), str(Path(tmp) / "out.bin")], f"{prefix}_run")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="KWS,VWW,IC,AD")
    args = ap.parse_args()
    wanted = args.models.split(",")
    table = Table(title="Instructions per inference (x86-64, callgrind)")
    for col in ("model", "MACs", "compile s", "tinymem instr", "instr/MAC", "TFLM instr", "TFLM instr/MAC", "ratio"):
        table.add_column(col, justify="right")
    for label, fname, data in MLPERF_MODELS:
        if label not in wanted:
            continue
        model = MODELS_DIR / fname
        x = mlperf_sample_input(model, data)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            t0 = time.perf_counter()
            report = compile_model(model, out)
            compile_s = time.perf_counter() - t0
            ours = tinymem_instructions(out, x, report["model"]["prefix"])
        theirs = tflm_instructions(model, x)
        macs = report["macs"]
        table.add_row(label, f"{macs:,}", f"{compile_s:.2f}", f"{ours:,}", f"{ours / macs:.2f}",
                      f"{theirs:,}", f"{theirs / macs:.2f}", f"{ours / theirs:.3f}")
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
