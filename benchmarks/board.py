"""Cortex-M figures on QEMU: the DSP-extension kernels (runtime_c/kernels_arm) against the portable ones.

For each MLPerf Tiny int8 model, compiled and built for nucleo-l4r5zi's limits to run on QEMU
mps2-an386 (Cortex-M4F, `tinymem build --qemu`): instructions per inference (exact: QEMU -icount,
returned by the device agent's RUN over the serial link), instructions per MAC, flash and RAM of the
agent firmware from its ELF and the deepest stack of the model's calls (gcc's call-graph files,
tinymem/boards/stack.py), the plan's arena + state (compiled for the board, so the DSP kernels'
buffers are planned scratch) and the model's RAM (arena + state + params + its stack), for the
firmware with the DSP kernels (the board's default) and with the portable kernels only, and the
portable/DSP ratio. First milestone: <= 3 instructions per MAC
on IC and VWW with the DSP kernels.

    python benchmarks/board.py [--models KWS,IC] [--board nucleo-l4r5zi] [--inputs 3] [--layers]

--inputs N runs the first N dataset inputs (instructions: their mean; the count depends on the
data only through a few branches, e.g. softmax). --layers adds a per-layer table (instructions per
kernel call, measured by a semihosting build whose model.c times each call).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.tflm_baseline import DATA_DIR, MLPERF_MODELS, MODELS_DIR  # noqa: E402
from tinymem.boards.board import BOARDS_DIR, load_board  # noqa: E402
from tinymem.boards.firmware import build_firmware  # noqa: E402
from tinymem.compile import CompileOptions, compile_model  # noqa: E402
from tinymem.serial.client import DeviceClient  # noqa: E402
from tinymem.sim.datasets import load_dataset  # noqa: E402
from tinymem.sim.qemu import Qemu, run_semihosted  # noqa: E402

LAYERS_MAIN = Path(__file__).resolve().with_name("board_layers.c")
MILESTONE = {"IC": 3.0, "VWW": 3.0}  # instructions per MAC on Cortex-M4 with the DSP kernels


def _short(names: list[str]) -> str:
    """tm_depthwise_conv2d_3x3_s8 -> depthwise_conv2d_3x3"""
    return ", ".join(n.removeprefix("tm_").removesuffix("_s8") for n in names) or "-"


def agent_counts(fw, out: Path, samples: list[list[np.ndarray]]) -> list[int]:
    """Instructions of each sample's inference, through the agent on QEMU."""
    counts = []
    with Qemu(fw.elf, fw.machine.name) as q:
        with DeviceClient(q.serial_url, timeout=5.0, run_timeout=120.0) as client:
            client.check_model(out)
            for xs in samples:
                _, cycles = client.run(xs)
                counts.append(int(cycles))
    return counts


def layer_counts(out: Path, board: str, dsp: bool, x: list[np.ndarray]) -> list[tuple[str, str, int, int]]:
    """(op type, op name, instructions, MACs) per kernel call of one inference (semihosting build
    of a copy of OUT whose model.c records tm_port_cycles() around every kernel call)."""
    work = Path(tempfile.mkdtemp(prefix="layers.", dir=out.parent)) / "out"
    shutil.copytree(out, work, ignore=shutil.ignore_patterns("firmware"))
    text = (work / "model.c").read_text()
    hook = ('#include "tinymem/port.h"\nuint32_t tm_layer_counts[256];\nint32_t tm_layer_n;\n'
            "#define TM_CHECK(call) do { uint32_t t0_ = tm_port_cycles(); tm_status s_ = (call); "
            "tm_layer_counts[tm_layer_n++ & 255] = tm_port_cycles() - t0_; "
            "if (s_ != TM_OK) return s_; } while (0)\n")
    text, n = re.subn(r"#define TM_CHECK\(call\).*\n", lambda _: hook, text)
    if n != 1:
        raise RuntimeError("model.c has no TM_CHECK macro to time the kernel calls")
    (work / "model.c").write_text(text)
    run_body = text.split("_run(void)", 1)[1]
    calls = [(m.group(2), m.group(3)) for m in
             re.finditer(r"/\* (\d+): (\w+) (\S+) ->.*\*/\n\s+(TM_CHECK|/\* alias)", run_body) if m.group(4) == "TM_CHECK"]
    fw = build_firmware(work, board, emulate=True, app_sources=[LAYERS_MAIN],
                        app_includes=[BOARDS_DIR / "common" / "cortex-m"], dsp_kernels=dsp)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in.bin").write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in x))
        status, console = run_semihosted(fw.elf, fw.machine.name, tmp, 300)
        if status != 0:
            raise RuntimeError(f"layer profile failed ({status}): {console}")
        counts = np.frombuffer((Path(tmp) / "layers.bin").read_bytes(), "<u4")
    macs = {o["name"]: o.get("macs", 0) for o in json.loads((out / "report.json").read_text())["ops"]}
    shutil.rmtree(work.parent, ignore_errors=True)
    return [(kind, name, int(c), macs.get(name, 0)) for (kind, name), c in zip(calls, counts)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="KWS,VWW,IC,AD")
    ap.add_argument("--board", default="nucleo-l4r5zi", help="a board with the DSP extension (its QEMU machine runs it)")
    ap.add_argument("--inputs", type=int, default=1, help="dataset inputs per model (VWW: ~5 s each over QEMU's UART)")
    ap.add_argument("--layers", action="store_true", help="also print instructions per kernel call")
    args = ap.parse_args()
    board = load_board(args.board)
    if not board.dsp:
        ap.error(f"{board.name} has no DSP extension: nothing to compare")
    wanted = args.models.split(",")
    console = Console(width=200)
    title = (f"Instructions per inference on QEMU {board.qemu_machine if not board.emulated else board.name} "
             f"({board.core}), firmware for {board.name}'s limits")
    table = Table(title=title)
    for col in ("model", "MACs", "DSP instr", "instr/MAC", "portable instr", "instr/MAC", "portable/DSP",
                "flash B (DSP)", "RAM B (DSP)", "arena+state B", "stack B (DSP)", "model RAM B (DSP)", "flash B (portable)",
                "stack B (portable)", "DSP kernels"):
        table.add_column(col, justify="left" if col in ("model", "DSP kernels") else "right")
    layer_tables = []
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, fname, data in MLPERF_MODELS:
            if label not in wanted:
                continue
            out = Path(tmp) / label / "out"
            report = compile_model(MODELS_DIR / fname, out, CompileOptions(board=board.name))  # DSP scratch planned
            samples = [xs for _, xs, _ in load_dataset(DATA_DIR / data, report["inputs"], limit=args.inputs)]
            row = {}
            for dsp in (True, False):
                fw = build_firmware(out, board.name, emulate=True, dsp_kernels=dsp)
                counts = agent_counts(fw, out, samples)
                row[dsp] = (float(np.mean(counts)), fw.info)
            macs = report["macs"]
            (d, dinfo), (p, pinfo) = row[True], row[False]
            table.add_row(label, f"{macs:,}", f"{d:,.0f}", f"{d / macs:.2f}", f"{p:,.0f}", f"{p / macs:.2f}",
                          f"{p / d:.2f}", f"{dinfo['flash']['used_bytes']:,}", f"{dinfo['ram']['used_bytes']:,}",
                          f"{report['ram']['total_bytes']:,}", f"{dinfo['stack']['model_bytes']:,}",
                          f"{dinfo['ram']['model_bytes']:,}", f"{pinfo['flash']['used_bytes']:,}",
                          f"{pinfo['stack']['model_bytes']:,}", _short(dinfo["kernels"]["arm"]))
            if label in MILESTONE:
                ok = d / macs <= MILESTONE[label]
                verdicts.append(f"{label}: {d / macs:.2f} instructions/MAC with the DSP kernels "
                                f"({'meets' if ok else 'misses'} the <= {MILESTONE[label]:g} milestone)")
            if args.layers:
                lt = Table(title=f"{label}: instructions per kernel call (first input)")
                for col in ("#", "op", "name", "MACs", "DSP instr", "instr/MAC", "portable instr", "instr/MAC", "ratio"):
                    lt.add_column(col, justify="left" if col in ("op", "name") else "right")
                dl = layer_counts(out, board.name, True, samples[0])
                pl = layer_counts(out, board.name, False, samples[0])
                for i, ((kind, name, dc, m), (_, _, pc, _)) in enumerate(zip(dl, pl)):
                    lt.add_row(str(i), kind, name, f"{m:,}", f"{dc:,}", f"{dc / m:.2f}" if m else "",
                               f"{pc:,}", f"{pc / m:.2f}" if m else "", f"{pc / dc:.2f}" if dc else "")
                layer_tables.append(lt)
    console.print(table)
    for v in verdicts:
        console.print(v)
    for lt in layer_tables:
        console.print(lt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
