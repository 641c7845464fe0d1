"""`build_firmware`: cross-compile a generated project into firmware for a board.

Steps: check the model fits the board (before compiling anything: the shortfall in bytes), render
the linker script (the board's memory map, or its sizes at the QEMU machine's addresses with
emulate=True), configure and build boards/CMakeLists.txt with cmake/arm-none-eabi.cmake and the
board's CPU flags, then read flash/RAM use from the ELF and the deepest stack from gcc's call-graph
files (tinymem/boards/stack.py) into OUT/report.json["firmware"][key], and check that stack fits
the board's reserved stack.

The application is the device agent (runtime_c/agent, serving the model over the UART) unless
`app_sources` names another main (tests use a semihosting harness).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinymem.boards.board import BOARDS_DIR, Board, emulation_layout, load_board, qemu_board
from tinymem.boards.elf import elf_usage
from tinymem.boards.linker import render_linker_script
from tinymem.boards.stack import firmware_stack
from tinymem.errors import InputError, TinymemError, ToolchainError

ROOT = BOARDS_DIR.parent
TOOLCHAIN_FILE = ROOT / "cmake" / "arm-none-eabi.cmake"
RUNTIME_DIR = ROOT / "runtime_c"
ARM_KERNELS_DIR = RUNTIME_DIR / "kernels_arm"
OPT_LEVELS = ("O2", "Os")
TOOLS = ("arm-none-eabi-gcc", "cmake")


class FirmwareFitError(TinymemError):
    """The model (or the linked image) does not fit the board's flash or RAM."""

    def __init__(self, message: str, region: str, shortfall: int):
        super().__init__(message)
        self.region = region
        self.shortfall = shortfall


@dataclass(frozen=True)
class Firmware:
    key: str             # "<board>" or "<board>@<qemu machine>"
    board: Board         # whose limits were linked
    machine: Board | None  # the emulated board it runs on (None: real hardware)
    elf: Path
    info: dict           # the report.json["firmware"][key] entry


def _qemu_icount_shift() -> int:
    from tinymem.sim.qemu import ICOUNT_SHIFT

    return ICOUNT_SHIFT


def check_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise ToolchainError(f"{', '.join(missing)} not found: install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                             f"cmake (Debian/Ubuntu: apt-get install --no-install-recommends ...)")


def read_report(out: Path) -> dict:
    path = Path(out) / "report.json"
    if not path.is_file():
        raise InputError(f"{out} is not a tinymem output directory (no report.json); run `tinymem compile` first")
    return json.loads(path.read_text())


def check_fit(report: dict, board: Board) -> None:
    """Fail before compiling when the model's flash or RAM needs exceed the board's."""
    model = report.get("model", {}).get("name", "the model")
    flash_need = int(report["flash"]["total_bytes"])
    if flash_need > board.flash.size:
        short = flash_need - board.flash.size
        raise FirmwareFitError(f"{model} does not fit {board.name}: its weights and tables need {flash_need:,} B "
                               f"of flash, the board has {board.flash.size:,} B: short by {short:,} B",
                               "flash", short)
    names = {r.name for r in board.memory}
    needs: dict[str, int] = {}
    per_region = report["ram"].get("regions")
    if isinstance(per_region, dict):
        for name, n in per_region.items():
            key = name if name in names else board.default_region.name
            needs[key] = needs.get(key, 0) + int(n)
    else:
        needs[board.default_region.name] = int(report["ram"]["total_bytes"])
    for region in board.memory:
        need = needs.get(region.name, 0)
        stack = board.stack_bytes if region.default else 0
        if need + stack > region.size:
            short = need + stack - region.size
            what = f"{need + stack:,} B (model {need:,} B + stack {stack:,} B)" if stack else f"{need:,} B"
            raise FirmwareFitError(f"{model} does not fit {board.name}: RAM region '{region.name}' needs {what}, "
                                   f"the board has {region.size:,} B: short by {short:,} B", region.name, short)


def check_stack(report: dict, board: Board, key: str, stack: dict) -> None:
    """Fail when the firmware's deepest stack (measured) exceeds the stack the board reserves."""
    used, reserved = stack["used_bytes"], board.stack_bytes
    if used <= reserved:
        return
    need = int(report["ram"]["total_bytes"])
    region = board.default_region
    fits = need + used <= region.size
    advice = (f"raise [firmware] stack_bytes in boards/{board.name}/board.toml to at least {used:,}" if fits else
              f"model {need:,} B + stack {used:,} B exceed RAM region '{region.name}' ({region.size:,} B)")
    raise FirmwareFitError(f"firmware for {key} needs {used:,} B of stack ({' -> '.join(stack['path'])}), "
                           f"the board reserves {reserved:,} B: short by {used - reserved:,} B; {advice}",
                           "stack", used - reserved)


def kernel_sources(out: Path, dsp: bool) -> tuple[list[Path], list[str]]:
    """The model's kernel sources and the names of those replaced by a DSP variant.

    OUT/kernels/<name>.c (the portable kernels `tinymem compile` copied), or, with dsp, the
    runtime_c/kernels_arm/<name>.c twin (same signature, bit-identical results, DSP-extension
    instructions) wherever one exists (OUT/kernels_arm/ first, should a project carry its own).
    """
    portable = sorted(Path(out, "kernels").glob("*.c"))
    if not dsp:
        return portable, []
    chosen, arm = [], []
    for src in portable:
        twin = next((d / src.name for d in (Path(out, "kernels_arm"), ARM_KERNELS_DIR) if (d / src.name).is_file()),
                    None)
        chosen.append(twin or src)
        if twin is not None:
            arm.append(src.stem)
    return chosen, arm


def _agent_sources(out: Path) -> tuple[list[Path], list[Path]]:
    for agent in (out / "agent", RUNTIME_DIR / "agent"):
        # port_*.c are the agent's own host ports (POSIX stdio); the board brings its port.
        sources = sorted(p for p in agent.glob("*.c") if not p.name.startswith("port_"))
        if sources:
            return sources, [agent, agent.parent / "include"]
    raise TinymemError("the device agent (runtime_c/agent) is not available in this version; "
                       "build with app_sources=[...] to supply another main()")


AGENT_MAIN = """/* Generated by tinymem build: the firmware's main() serves the model over the board's UART. */
#include "agent.h"
#include "model.h"
#include "tinymem/port.h"

int main(void)
{
    tm_port_init();
    tm_agent_serve(&TM_MODEL_SYMBOL);
    return 0;
}
"""

_OVERFLOW = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def build_firmware(out: str | Path, board_name: str, *, emulate: bool = False, opt: str = "O2",
                   app_sources: list[str | Path] | None = None, app_includes: list[str | Path] = (),
                   defines: list[str] = (), dsp_kernels: bool | None = None) -> Firmware:
    """Build OUT's model into firmware for `board_name` (emulate: to run on its QEMU machine).

    dsp_kernels: compile runtime_c/kernels_arm variants (None: when the board has the DSP
    extension and OUT's plan was made for them, report.json `kernels` == "dsp", i.e. `tinymem
    compile --board` such a board; False: the portable kernels only, e.g. to compare). The DSP
    kernels need more scratch than the portable ones, and the plan has it only in that case."""
    out = Path(out).resolve()
    report = read_report(out)
    board = load_board(board_name)
    if opt.lstrip("-") not in OPT_LEVELS:
        raise InputError(f"optimisation {opt!r}: use one of {', '.join(OPT_LEVELS)}")
    opt = "-" + opt.lstrip("-")
    check_fit(report, board)
    check_tools()
    planned_dsp = report.get("kernels") == "dsp"
    if dsp_kernels and not board.dsp:
        raise InputError(f"{board.name} ({board.core}) has no DSP extension: its firmware uses the portable kernels")
    if dsp_kernels and not planned_dsp:
        raise InputError(f"{out.name} was planned for the portable kernels (compiled for board "
                         f"{report.get('board')!r}): compile it with --board {board.name} to use the DSP kernels")
    if dsp_kernels is None:
        dsp_kernels = board.dsp and planned_dsp

    if board.emulated:
        machine, key = board, board.name
    elif emulate:
        machine = qemu_board(board)
        key = f"{board.name}@{machine.name}"
    else:
        machine, key = None, board.name
    port_board = machine or board
    if app_sources is None:
        sources, includes = _agent_sources(out)
        app = "agent"
    else:
        sources, includes = [Path(p).resolve() for p in app_sources], []
        app = "custom"
    includes = [*includes, *(Path(i).resolve() for i in app_includes)]
    # The agent firmware is OUT/firmware/<key>/; other applications (test harnesses) get a
    # sub-folder each, so switching between them does not rebuild everything.
    fw_dir = out / "firmware" / key
    if app != "agent":
        fw_dir = fw_dir / ("app-" + hashlib.sha256("\0".join(map(str, sources)).encode()).hexdigest()[:10])
    if dsp_kernels != (board.dsp and planned_dsp):  # not the default kernels: a folder of its own
        fw_dir = fw_dir / "kernels-portable"
    kernels, arm_kernels = kernel_sources(out, dsp_kernels)
    build_dir = fw_dir / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    script = fw_dir / "firmware.ld"
    text = render_linker_script(board, emulate=machine is not None)
    if not script.exists() or script.read_text() != text:
        script.write_text(text)
    if app == "agent":
        main_c = fw_dir / "main.c"
        if not main_c.exists() or main_c.read_text() != AGENT_MAIN:
            main_c.write_text(AGENT_MAIN)
        sources = [main_c, *sources]
    extra = sorted(port_board.path.glob("*.S")) if machine is None else []
    firmware_id = f"{key} {report['model']['name']} {report['model']['sha256'][:12]}"
    all_defines = [f"TM_BOARD_NAME=\"{board.name}\"", f"TM_FIRMWARE_ID=\"{firmware_id}\"",
                   f"TM_BOARD_CLOCK_HZ={board.clock_hz}u", *defines]
    if dsp_kernels:  # model.c checks the DSP kernels' scratch sizes exactly
        all_defines.append("TM_KERNELS_DSP=1")
    if machine is not None:
        all_defines.append(f"TM_ICOUNT_SHIFT={_qemu_icount_shift()}")

    generator = "Ninja" if shutil.which("ninja") else "Unix Makefiles"
    args = {
        "CMAKE_TOOLCHAIN_FILE": TOOLCHAIN_FILE,
        "TM_ARM_CPU_FLAGS": ";".join(board.cpu_flags()),
        "TM_MODEL_DIR": out,
        "TM_PORT_SOURCE": port_board.path / "port.c",
        "TM_LINKER_SCRIPT": script,
        "TM_APP_SOURCES": ";".join(map(str, sources)),
        "TM_APP_INCLUDES": ";".join(map(str, includes)),
        "TM_EXTRA_SOURCES": ";".join(map(str, extra)),
        "TM_DEFINES": ";".join(all_defines),
        "TM_MODEL_SYMBOL": f"{report['model']['prefix']}_model",
        "TM_OPT": opt,
        "TM_KERNEL_SOURCES": ";".join(map(str, kernels)),
    }
    configure = ["cmake", "-S", str(BOARDS_DIR), "-B", str(build_dir), "-G", generator,
                 *(f"-D{k}={v}" for k, v in args.items())]
    stamp = build_dir / "tinymem-configure.sha256"
    digest = hashlib.sha256("\0".join(configure).encode()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest or not (build_dir / "CMakeCache.txt").exists():
        shutil.rmtree(build_dir)
        build_dir.mkdir()
        result = _run(configure)
        if result.returncode != 0:
            raise ToolchainError(f"cmake configure failed for {key}:\n{(result.stdout + result.stderr).strip()[-4000:]}")
        stamp.write_text(digest)
    result = _run(["cmake", "--build", str(build_dir), "--parallel", str(os.cpu_count() or 2)])
    if result.returncode != 0:
        log = (result.stdout + result.stderr).strip()
        m = _OVERFLOW.search(log)
        if m:
            raise FirmwareFitError(f"firmware for {key} does not fit: the linker reports region {m.group(1)} "
                                   f"overflowed by {int(m.group(2)):,} bytes", m.group(1).lower(), int(m.group(2)))
        raise ToolchainError(f"firmware build failed for {key}:\n{log[-6000:]}")
    elf = fw_dir / "firmware.elf"
    for suffix in ("elf", "bin", "hex", "map"):
        shutil.copy2(build_dir / f"firmware.{suffix}", fw_dir / f"firmware.{suffix}")
    info = _firmware_info(board, machine, elf, out, app, opt)
    info["kernels"] = {"dsp": bool(dsp_kernels), "arm": arm_kernels}
    if board.dsp and not dsp_kernels and not planned_dsp:
        info["kernels"]["note"] = (f"portable kernels: the plan was made for them (compiled for board "
                                   f"{report.get('board')!r}); compile with --board {board.name} for the DSP kernels")
    info["stack"] = {**firmware_stack(build_dir, out), "reserved_bytes": board.stack_bytes}
    info["ram"]["model_bytes"] = int(report["ram"]["total_bytes"]) + info["stack"]["model_bytes"]
    check_stack(report, board, key, info["stack"])
    if board.flash_method == "uf2" and machine is None:
        from tinymem.boards.uf2 import write_uf2

        write_uf2(elf, fw_dir / "firmware.uf2", board.flash)
        info["uf2"] = str((fw_dir / "firmware.uf2").relative_to(out))
    _update_report(out, key, info)
    return Firmware(key, board, machine, elf, info)


def _firmware_info(board: Board, machine: Board | None, elf: Path, out: Path, app: str, opt: str) -> dict:
    flash, ram = emulation_layout(board, machine) if machine is not None else (board.flash, list(board.memory))
    usage = elf_usage(elf, [flash, *ram])
    used = usage["regions"]
    ram_used = sum(used[r.name] for r in ram)
    return {
        "board": board.name,
        "runs_on": machine.name if machine is not None else board.name,
        "emulated": machine is not None,
        "app": app,
        "elf": str(elf.relative_to(out)),
        "cpu_flags": board.cpu_flags(),
        "opt": opt,
        "flash": {"used_bytes": used["flash"], "limit_bytes": flash.size, "free_bytes": flash.size - used["flash"],
                  "base": flash.base},
        "ram": {"used_bytes": ram_used, "limit_bytes": sum(r.size for r in ram),
                "free_bytes": sum(r.size for r in ram) - ram_used, "stack_bytes": board.stack_bytes},
        "regions": [{"name": r.name, "base": r.base, "size": r.size, "used_bytes": used[r.name],
                     "default": r.default} for r in ram],
        "sections": usage["sections"],
    }


def _update_report(out: Path, key: str, info: dict) -> None:
    path = out / "report.json"
    report = json.loads(path.read_text())
    report.setdefault("firmware", {})[key] = info
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)


def firmware_image(out: str | Path, board_name: str) -> tuple[bytes, int]:
    """The built binary image for a real board and its flash address (for flashers)."""
    out = Path(out)
    board = load_board(board_name)
    path = out / "firmware" / board.name / "firmware.bin"
    if not path.is_file():
        raise InputError(f"no firmware for {board.name} in {out}: run `tinymem build {out} --board {board.name}`")
    return path.read_bytes(), board.flash.base
