"""Click commands of the serial half, for tinymem/cli.py to add to its group:

    from tinymem.serial.cli import device, flash
    cli.add_command(flash)
    cli.add_command(device)

`flash OUT --board B --port P` flashes firmware; `device info/ping --port P` talks to a running
agent. `tinymem run OUT --board B --port P` goes through tinymem.serial.client.run_on_device.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console()


@click.command("flash")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option("--board", required=True, help="Target board (boards/<name>/board.toml).")
@click.option("--port", help="Serial port or pyserial URL of the board's bootloader UART "
                             "(for rpi-pico: its mounted boot drive).")
@click.option("--image", type=click.Path(exists=True, dir_okay=False),
              help="Firmware to flash (ELF, Intel HEX, or raw .bin placed at the flash base) "
                   "instead of OUT/firmware/<board>/firmware.elf.")
@click.option("--baud", type=int, help="Bootloader baud rate (default: the board's, usually 115200).")
@click.option("--no-go", is_flag=True, help="Stay in the bootloader afterwards instead of starting the firmware.")
@click.option("--timeout", type=float, default=1.0, show_default=True, help="Seconds to wait for each bootloader answer.")
def flash(out, board, port, image, baud, no_go, timeout):
    """Flash OUT's firmware to a dev board (STM32: ROM UART bootloader, AN3155, read back and verified)."""
    from tinymem.serial.flash import flash as do_flash

    columns = [TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
               TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=max(total, 1), unit="pages" if phase == "erase" else "bytes")
            bar.update(tasks[phase], completed=done, total=max(total, 1))

        result = do_flash(out, board, port, image=image, baud=baud, go=not no_go, timeout=timeout, progress=progress)
    if isinstance(result, str):
        console.print(result)
        return
    console.print(f"flashed {result.bytes_written} bytes to {board} (chip id 0x{result.chip_id:03x}, bootloader "
                  f"v{result.bootloader_version >> 4}.{result.bootloader_version & 15}), {result.pages_erased} pages erased, "
                  f"read back and verified in {result.seconds:.1f} s" + ("; firmware started" if result.started else ""))


@click.group("device")
def device():
    """Talk to a board running the tinymem device agent."""


_port = click.option("--port", required=True, help="Serial port or pyserial URL (socket://localhost:PORT for QEMU).")
_timeout = click.option("--timeout", type=float, default=1.0, show_default=True, help="Seconds per answer.")


@device.command("info")
@_port
@_timeout
def device_info(port, timeout):
    """Print the board, firmware and model the agent serves."""
    from tinymem.serial.client import DeviceClient

    with DeviceClient(port, timeout=timeout) as dev:
        info = dev.info()
    t = Table(show_header=False)
    for k, v in [("board", info.board), ("firmware", info.firmware_id), ("model", info.model_name),
                 ("sha256", info.model_sha256), ("arena", f"{info.arena_bytes} B"), ("state", f"{info.state_bytes} B"),
                 ("params", f"{info.params_bytes} B"), ("runs", str(info.run_count)),
                 ("max payload", f"{info.max_payload} B")]:
        t.add_row(k, v)
    for kind, tensors in (("input", info.inputs), ("output", info.outputs)):
        for i, x in enumerate(tensors):
            streamed = " (streamed: fetched window by window during RUN)" if kind == "input" and i in info.streamed else ""
            t.add_row(kind, f"{x.name}: {x.dtype} {list(x.shape)} scale {x.scale:g} zero point {x.zero_point}{streamed}")
    console.print(t)


@device.command("ping")
@_port
@_timeout
@click.option("--count", type=int, default=4, show_default=True)
def device_ping(port, timeout, count):
    """Measure round trips to the agent."""
    from tinymem.serial.client import DeviceClient

    with DeviceClient(port, timeout=timeout) as dev:
        for _ in range(count):
            console.print(f"{dev.ping() * 1000:.1f} ms")
