"""RAM: tinymem's plans vs the layer-by-layer lower bound vs TFLite Micro's smallest arena.

For every .tflite in ../shared/models that tinymem compiles (the four MLPerf Tiny models first):

  layer bound     max over steps of the live bytes in the model's own order, nothing in place
                  (16-byte aligned): what any planner of that schedule needs at least; in
                  parentheses the same without kernel scratch (activations only)
  no in-place     tinymem's arena with in-place execution and views off (`--no-inplace`; the
                  order is still searched): to compare the planners with the layer bound
  tinymem RAM     the default compile: arena (activations, I/O, scratch) + persistent state, with
                  in-place execution, zero-copy views and the searched order; its own lower bound
  io external     the same with `--io external` (the application owns input and output buffers)
  TFLM arena      the smallest arena the `tflite-micro` interpreter accepts, by bisection (x86-64
                  build: its persistent tail holds 8-byte pointers, a little larger than on an MCU)

    python benchmarks/memory.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.tflm_baseline import (MLPERF_MODELS, MODELS_DIR, _arena_ok, _n_inputs, _quiet_stderr,  # noqa: E402
                                      _runtime, tflm_arena_bytes)
from tinymem.compile import CompileOptions, compile_model  # noqa: E402
from tinymem.errors import TinymemError  # noqa: E402


def tflm_arena(model: Path) -> int | None:
    """TFLM's smallest arena, or None when TFLM cannot run the model at all (16 MiB tried)."""
    try:
        runtime = _runtime()
        data = model.read_bytes()
        with _quiet_stderr():
            if not _arena_ok(runtime, data, 16 << 20, _n_inputs(data)):
                return None
        return tflm_arena_bytes(model, granularity=16)
    except Exception:  # noqa: BLE001 - any failure means "no TFLM figure"
        return None


def compile_ram(model: Path, **options) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return compile_model(model, Path(tmp) / "out", CompileOptions(**options))


def models() -> list[tuple[str, Path]]:
    first = [(label, MODELS_DIR / fname) for label, fname, _ in MLPERF_MODELS]
    known = {p for _, p in first}
    rest = [(p.stem.replace("mlperf_", ""), p) for p in sorted(MODELS_DIR.glob("*.tflite")) if p not in known]
    return first + rest


def activation_bound(report: dict) -> int:
    """The layer bound without kernel scratch: max over steps of the live activation bytes."""
    bufs = [b for b in report["memory"]["buffers"] if b["kind"] == "activation" and b["region"] == "arena"]
    align = report["memory"]["alignment"]
    steps = len(report["ops"])
    return max((sum(-(-b["bytes"] // align) * align for b in bufs if b["first"] <= s <= b["last"])
                for s in range(steps)), default=0)


def pct(a: int, b: int) -> str:
    return f"{100 * (a - b) / b:+.1f} %" if b else "-"


def main() -> int:
    console = Console(width=160)
    table = Table(title="RAM per model (bytes; tinymem RAM = arena + persistent + scratch)")
    for col in ("model", "layer bound", "act. only", "no in-place", "vs bound", "tinymem RAM", "its bound",
                "arena vs layer bound", "in place", "io external", "TFLM arena", "RAM/TFLM"):
        table.add_column(col, justify="left" if col == "model" else "right", no_wrap=col == "model")
    below, skipped = [], []
    for label, path in models():
        try:
            plain = compile_ram(path, inplace=False)
            best = compile_ram(path)
            ext = compile_ram(path, io="external")
        except TinymemError as e:
            skipped.append(f"{path.name}: {str(e).splitlines()[0][:110]}")
            continue
        ram, bound = best["ram"], plain["ram"]["baseline_bound_bytes"]
        tflm = tflm_arena(path)
        total = ram["total_bytes"]
        n_inplace = len(best["memory"]["inplace"]) + len(best["memory"]["views"])
        table.add_row(label, f"{bound:,}", f"{activation_bound(plain):,}", f"{plain['ram']['arena_bytes']:,}",
                      pct(plain["ram"]["arena_bytes"], bound), f"{total:,}", f"{ram['lower_bound_bytes']:,}",
                      pct(ram["arena_bytes"], bound), str(n_inplace), f"{ext['ram']['total_bytes']:,}",
                      f"{tflm:,}" if tflm else "-", f"{total / tflm:.3f}" if tflm else "-")
        if ram["arena_bytes"] < bound:
            below.append(f"{label}: {ram['arena_bytes']:,} B vs layer-by-layer bound {bound:,} B "
                         f"({pct(ram['arena_bytes'], bound)}; {len(best['memory']['inplace'])} ops in place, "
                         f"{len(best['memory']['views'])} views"
                         f"{', order changed' if best['memory']['reordered'] else ''})")
    console.print(table)
    console.print("[bold]Below the layer-by-layer bound[/bold] (in-place execution, views, order; bit-exact: "
                  "tests/e2e/test_models.py):")
    for line in below:
        console.print(f"  {line}", highlight=False)
    if skipped:
        console.print("[dim]not compiled:[/dim]")
        for line in skipped:
            console.print(f"  [dim]{line}[/dim]", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
