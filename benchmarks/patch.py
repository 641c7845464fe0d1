"""Patch-based inference (MCUNetV2, `--patch auto`): the candidate table of each image model.

For the MLPerf Tiny VWW (MobileNetV1) and IC (ResNet-8) int8 models and the seeded
MobileNetV2-0.35-224 int8 built by models/make_mobilenetv2.py, with the input in RAM and with
`--stream-input`:

  layer bound   the layer-by-layer bound (the model's order, nothing in place)
  layer arena   tinymem's arena without patching (in place, searched order)
  candidates    every split point S and n x m grid within the MAC budget: peak (most live bytes
                of its schedule) and extra MACs / model MACs; the best few are printed
  chosen        the plan `--patch auto` picks, its planned arena and MAC overhead

With --qemu BOARD, VWW and IC are also built for BOARD's limits and run on its QEMU machine through
the device agent, layer by layer, `--patch auto` and `--patch auto --stream-input` (default
budget; streamed windows fetched from the host over the serial link): instructions per inference
(exact, QEMU -icount; the time spent waiting for windows is not counted), the firmware's RAM from
its ELF and its largest RAM object (streamed: smaller than the input), outputs checked against the
layer-by-layer build.

    python benchmarks/patch.py [--budget 0.10] [--stream-budget 0.25] [--top 8] [--qemu nucleo-l4r5zi --inputs 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tinymem.compile import CompileOptions, compile_model  # noqa: E402

BOARD_MODES = {"layers": {}, "patch auto": {"patch": "auto"}, "patch auto, stream": {"patch": "auto", "stream_input": True}}

SHARED_MODELS = ROOT.parent / "shared" / "models"


def models(tmp: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "models"))
    from make_mobilenetv2 import build_mobilenetv2

    found = [SHARED_MODELS / f"mlperf_{m}_int8.tflite" for m in ("vww_mbv1", "ic_resnet8")]
    return [p for p in found if p.exists()] + [build_mobilenetv2(tmp / "mobilenetv2_035_224_int8.tflite")]


def board_table(board: str, inputs: int, tmp: Path) -> Table:
    """VWW and IC layer by layer, patched and streamed on `board`'s QEMU machine through the agent."""
    from benchmarks.tflm_baseline import DATA_DIR, MLPERF_MODELS, MODELS_DIR
    from tinymem.boards.elf import ram_objects
    from tinymem.boards.firmware import build_firmware
    from tinymem.serial.client import DeviceClient
    from tinymem.sim.datasets import load_dataset
    from tinymem.sim.qemu import Qemu

    table = Table(title=f"on QEMU through the device agent, firmware for {board} ({inputs} dataset inputs)")
    for col in ("model", "mode", "plan", "arena B", "firmware RAM B", "largest RAM object B", "input B",
                "instructions", "vs layers", "MACs", "instr/MAC"):
        table.add_column(col, justify="left" if col in ("model", "mode", "plan") else "right")
    for label, fname, data in MLPERF_MODELS:
        if label not in ("VWW", "IC"):
            continue
        reference, base = None, None
        for mode, options in BOARD_MODES.items():
            out = tmp / "board" / label / mode.replace(" ", "_").replace(",", "")
            report = compile_model(MODELS_DIR / fname, out, CompileOptions(board=board, **options))
            samples = [xs for _, xs, _ in load_dataset(DATA_DIR / data, report["inputs"], limit=inputs)]
            fw = build_firmware(out, board, emulate=True)
            with Qemu(fw.elf, fw.machine.name) as q, DeviceClient(q.serial_url, timeout=5.0, run_timeout=120.0) as dev:
                dev.check_model(out)
                results = [dev.run(xs) for xs in samples]
            outputs = [ys for ys, _ in results]
            reference = reference or outputs
            if not all(np.array_equal(a, b) for ys, ws in zip(outputs, reference) for a, b in zip(ys, ws)):
                raise SystemExit(f"{label} {mode}: outputs differ from the layer-by-layer build")
            count = float(np.mean([c for _, c in results]))
            base = base or count
            plan = report["patch"]["plan"] if report.get("patch") else None
            table.add_row(label, mode, f"{plan['split']}:{plan['grid'][0]}x{plan['grid'][1]}" if plan else "-",
                          f"{report['ram']['arena_bytes']:,}", f"{fw.info['ram']['used_bytes']:,}",
                          f"{max(ram_objects(fw.elf).values()):,}", f"{report['inputs'][0]['bytes']:,}",
                          f"{count:,.0f}", f"{count / base:.2f}x", f"{report['macs']:,}", f"{count / report['macs']:.2f}")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=0.10, help="--max-mac-overhead with the input in RAM")
    ap.add_argument("--stream-budget", type=float, default=0.25, help="--max-mac-overhead with --stream-input")
    ap.add_argument("--top", type=int, default=8, help="candidates printed per model and mode")
    ap.add_argument("--qemu", metavar="BOARD", help="also run VWW and IC built for BOARD on QEMU through the agent")
    ap.add_argument("--inputs", type=int, default=2, help="--qemu: dataset inputs per model (VWW: ~10 s each)")
    args = ap.parse_args()
    console = Console(width=200)
    summary = Table(title="patch-based inference: --patch auto")
    for col in ("model", "mode", "layer bound", "layer arena", "chosen", "arena", "MAC overhead", "vs bound"):
        summary.add_column(col, justify="left" if col in ("model", "mode", "chosen") else "right")
    with tempfile.TemporaryDirectory() as tmp:
        for model in models(Path(tmp)):
            for stream, budget in ((False, args.budget), (True, args.stream_budget)):
                mode = f"{'stream' if stream else 'RAM'} <={budget:.0%}"
                report = compile_model(model, Path(tmp) / "out", CompileOptions(
                    patch="auto", max_mac_overhead=budget, stream_input=stream))
                patch, ram = report["patch"], report["ram"]
                table = Table(title=f"{model.name}, {mode}: best candidates by peak")
                for col in ("S:NxM", "peak B", "planned arena B", "extra MACs"):
                    table.add_column(col, justify="right")
                ranked = sorted((c for c in patch["candidates"] if c["peak_bytes"] is not None),
                                key=lambda c: (c["peak_bytes"], c["extra_macs"]))
                for c in ranked[:args.top]:
                    table.add_row(f"{c['split']}:{c['grid'][0]}x{c['grid'][1]}", f"{c['peak_bytes']:,}",
                                  f"{c['arena_bytes']:,}" if c["arena_bytes"] else "-", f"{c['mac_overhead']:.1%}")
                console.print(table)
                plan = patch["plan"]
                bound = ram["baseline_bound_bytes"]
                summary.add_row(model.stem.removesuffix("_int8"), mode, f"{bound:,}", f"{patch['arena_before_bytes']:,}",
                                f"{plan['split']}:{plan['grid'][0]}x{plan['grid'][1]}" if plan else "off",
                                f"{ram['arena_bytes']:,}", f"{plan['mac_overhead']:.1%}" if plan else "0",
                                f"{bound / ram['arena_bytes']:.2f}x")
    console.print(summary)
    if args.qemu:
        with tempfile.TemporaryDirectory() as tmp:
            console.print(board_table(args.qemu, args.inputs, Path(tmp)))


if __name__ == "__main__":
    main()
