"""RAM: tinymem's total (arena + persistent) vs TFLite Micro's smallest working arena.

TFLM's arena is found by bisection with the `tflite-micro` package (x86-64 build: its persistent
tail holds 8-byte pointers, so it is somewhat larger than on a 32-bit MCU; the activation head is
the same). Also prints the layer-by-layer lower bound (max live bytes over steps, 16-byte aligned).

    python benchmarks/memory.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.tflm_baseline import MLPERF_MODELS, MODELS_DIR, tflm_arena_bytes  # noqa: E402
from tinymem.compile import compile_model  # noqa: E402


def main() -> int:
    table = Table(title="RAM per model (bytes)")
    for col in ("model", "tinymem arena", "persistent", "tinymem total", "lower bound", "plan/bound",
                "TFLM arena", "tinymem/TFLM"):
        table.add_column(col, justify="right")
    for label, fname, _ in MLPERF_MODELS:
        model = MODELS_DIR / fname
        with tempfile.TemporaryDirectory() as tmp:
            ram = compile_model(model, Path(tmp) / "out")["ram"]
        tflm = tflm_arena_bytes(model, granularity=16)
        table.add_row(label, f"{ram['arena_bytes']:,}", f"{ram['persistent_bytes']:,}", f"{ram['total_bytes']:,}",
                      f"{ram['lower_bound_bytes']:,}", f"{ram['arena_bytes'] / ram['lower_bound_bytes']:.3f}",
                      f"{tflm:,}", f"{ram['total_bytes'] / tflm:.3f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
