"""Board commands for the `tinymem` CLI: `build`, `boards`, and `run_on_board` for `tinymem run`.

tinymem/cli.py registers them: `cli.add_command(build_cmd)`, `cli.add_command(boards_cmd)`, and
its `run` calls `run_on_board(...)` for any board other than `host`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from tinymem.boards.board import board_names, load_board
from tinymem.boards.firmware import OPT_LEVELS, Firmware, build_firmware
from tinymem.errors import InputError

console = Console()


def _kb(n: int) -> str:
    return f"{n:,} B"


def print_firmware(fw: Firmware) -> None:
    info = fw.info
    where = f"{info['board']} limits on QEMU {info['runs_on']}" if info["emulated"] and not fw.board.emulated \
        else info["board"]
    table = Table(title=f"firmware for {where}: {info['elf']}")
    for col in ("memory", "used", "limit", "free", "used %"):
        table.add_column(col, justify="left" if col == "memory" else "right")
    rows = [("flash", info["flash"]["used_bytes"], info["flash"]["limit_bytes"])]
    rows += [(f"RAM {r['name']}" + (" *" if r["default"] else ""), r["used_bytes"], r["size"])
             for r in info["regions"]]
    for name, used, limit in rows:
        table.add_row(name, _kb(used), _kb(limit), _kb(limit - used), f"{100 * used / limit:.1f}")
    console.print(table)
    console.print("* default RAM region: stack, .data, .bss (the model's arena)")
    stack = info["stack"]
    console.print(f"stack: {_kb(stack['used_bytes'])} deepest of {_kb(stack['reserved_bytes'])} reserved; "
                  f"the model's calls {_kb(stack['model_bytes'])} ({' -> '.join(stack['model_path'])})")
    console.print(f"the model's RAM: arena + state + params + its stack = {_kb(info['ram']['model_bytes'])}")
    kernels = info["kernels"]
    console.print(kernels.get("note") or ("kernels: DSP (" + ", ".join(kernels["arm"]) + ")" if kernels["dsp"]
                                          else "kernels: portable"))


@click.command("build")
@click.argument("out", type=click.Path(file_okay=False, exists=True))
@click.option("--board", required=True, help="Target board (see `tinymem boards`).")
@click.option("--qemu", "emulate", is_flag=True,
              help="Link the board's RAM/flash limits at its QEMU machine's addresses, to run under QEMU.")
@click.option("--opt", type=click.Choice(OPT_LEVELS), default="O2", show_default=True,
              help="O2 for speed, Os for size.")
def build_cmd(out, board, emulate, opt):
    """Build firmware (model + device agent + board port) for BOARD from the project in OUT."""
    fw = build_firmware(out, board, emulate=emulate, opt=opt)
    print_firmware(fw)


@click.command("boards")
def boards_cmd():
    """List the boards tinymem can build firmware for."""
    table = Table(title="boards")
    for col in ("board", "core", "clock", "flash", "RAM regions", "flashing", "QEMU machine"):
        table.add_column(col)
    for name in board_names():
        b = load_board(name)
        fpu = "" if b.fpu == "none" else f" + {b.fpu}"
        regions = ", ".join(f"{r.name} {r.size // 1024} KiB" for r in b.memory)
        table.add_row(name, b.core + fpu, f"{b.clock_hz / 1e6:g} MHz", f"{b.flash.size // 1024} KiB", regions,
                      b.flash_method, b.qemu_machine)
    console.print(table)


@dataclass
class BoardRun:
    outputs: list[np.ndarray]  # like run_host: one array per output, a leading step axis when steps > 1
    counts: list[int]          # per step: instructions (QEMU) or core cycles (hardware)
    unit: str                  # "instructions" or "cycles"
    firmware: Firmware | None  # the firmware built and run (None on real hardware: flashed before)


def run_on_board(out: str | Path, board: str, inputs: list[np.ndarray], *, steps: int = 1, port: str | None = None,
                 emulate: bool = False, opt: str = "O2", timeout: float = 5.0, run_timeout: float = 120.0) -> BoardRun:
    """Run OUT's model on a board through the device agent.

    - an emulated board (mps2-*), or a real board with emulate=True: build the firmware, start QEMU
      with the UART on a local TCP port, run, stop QEMU (always, also on errors);
    - a real board with port: talk to the firmware already flashed there (`tinymem flash`).
    With steps > 1 each input has a leading step axis and state carries between steps.
    """
    from tinymem.serial.client import DeviceClient
    from tinymem.sim.host import io_descriptors
    from tinymem.sim.qemu import Qemu

    b = load_board(board)
    in_desc, _ = io_descriptors(out)
    if len(inputs) != len(in_desc):
        raise InputError(f"model has {len(in_desc)} input(s), {len(inputs)} given")
    per_step = [[np.asarray(x) if steps == 1 else np.asarray(x)[s] for x in inputs] for s in range(steps)]

    def drive(url: str):
        results, counts = [], []
        with DeviceClient(url, timeout=timeout, run_timeout=run_timeout) as client:
            client.check_model(out)
            for xs in per_step:
                ys, count = client.run(xs)
                results.append(ys)
                counts.append(int(count))
        outs = [r for r in results[0]] if steps == 1 else [np.stack([r[i] for r in results])
                                                            for i in range(len(results[0]))]
        return outs, counts

    if port is not None:
        if b.emulated:
            raise InputError(f"{board} is emulated: run it without --port")
        outs, counts = drive(port)
        return BoardRun(outs, counts, "cycles", None)
    if not b.emulated and not emulate:
        raise InputError(f"{board} is a real board: give --port PORT (firmware flashed with `tinymem flash`), or "
                         f"--qemu to run its firmware on QEMU {b.qemu_machine}")
    fw = build_firmware(out, board, emulate=True, opt=opt)
    with Qemu(fw.elf, fw.machine.name) as q:
        outs, counts = drive(q.serial_url)
    return BoardRun(outs, counts, "instructions", fw)
