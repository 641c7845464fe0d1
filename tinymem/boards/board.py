"""`load_board`: read and validate boards/<name>/board.toml (schema in docs/boards.md).

A Board is plain data: CPU and compiler flags, flash, RAM regions, UART, flashing method and the
QEMU machine that can emulate the core. `emulation_layout` maps a real board's regions onto its
QEMU machine's address space, keeping the real sizes, so the same limits are linked and enforced
when the firmware runs under QEMU.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tinymem.errors import TinymemError

BOARDS_DIR = Path(__file__).resolve().parents[2] / "boards"
SCHEMA = "tinymem.board/1"

CORES = {  # -mcpu -> (architecture, fpus it may have, DSP extension)
    "cortex-m0plus": ("armv6-m", {"none"}, False),
    "cortex-m3": ("armv7-m", {"none"}, False),
    "cortex-m4": ("armv7e-m", {"none", "fpv4-sp-d16"}, True),
    "cortex-m7": ("armv7e-m", {"none", "fpv5-sp-d16", "fpv5-d16"}, True),
    "cortex-m33": ("armv8-m.main", {"none", "fpv5-sp-d16"}, True),
}
# Which architectures a QEMU core (key) can execute: each is a superset of the ones listed.
RUNS = {
    "armv6-m": {"armv6-m"},
    "armv7-m": {"armv6-m", "armv7-m"},
    "armv7e-m": {"armv6-m", "armv7-m", "armv7e-m"},
    "armv8-m.main": {"armv6-m", "armv7-m", "armv7e-m", "armv8-m.main"},
}
FLOAT_ABIS = {"soft", "softfp", "hard"}
FLASH_METHODS = {"stm32-uart-bootloader", "nrfjprog", "uf2", "qemu"}
MEMORY_KINDS = {"sram", "dtcm", "itcm", "ccm", "psram"}
STACK_DEFAULT = 8192


class BoardError(TinymemError):
    """A board name that does not exist, or a board.toml that breaks the schema."""


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    kind: str = "sram"
    access_cost: int = 1
    default: bool = False

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    emulated: bool
    qemu_machine: str
    core: str
    arch: str
    fpu: str
    float_abi: str
    dsp: bool
    clock_hz: int
    flash: Region
    flash_method: str
    memory: tuple[Region, ...]
    uart: dict
    stack_bytes: int
    path: Path
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def default_region(self) -> Region:
        return next(r for r in self.memory if r.default)

    @property
    def ram_bytes(self) -> int:
        return sum(r.size for r in self.memory)

    def cpu_flags(self) -> list[str]:
        flags = [f"-mcpu={self.core}", "-mthumb"]
        if self.fpu == "none":
            flags.append("-mfloat-abi=soft")
        else:
            flags += [f"-mfpu={self.fpu}", f"-mfloat-abi={self.float_abi}"]
        return flags


_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)(i?B)?\s*$", re.IGNORECASE)


def parse_size(value, where: str) -> int:
    """An int, or a string like "640K", "2M", "64 KiB" (binary units)."""
    if isinstance(value, bool):
        raise BoardError(f"{where}: expected a size, got {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        n = int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]
    else:
        raise BoardError(f"{where}: expected a size like 65536, \"64K\" or \"2M\", got {value!r}")
    if n <= 0:
        raise BoardError(f"{where}: size must be positive, got {value!r}")
    return n


def _get(table: dict, key: str, types, where: str, default=...):
    if key not in table:
        if default is ...:
            raise BoardError(f"{where}: missing required key '{key}'")
        return default
    value = table[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise BoardError(f"{where}: '{key}' must be {_names(types)}, got {value!r}")
    return value


def _tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _names(types) -> str:
    return " or ".join(t.__name__ for t in _tuple(types))


def _region(t: dict, where: str) -> Region:
    if not isinstance(t, dict):
        raise BoardError(f"{where}: expected a table")
    name = _get(t, "name", str, where)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise BoardError(f"{where}: region name {name!r} must be lower_snake_case (it names a linker section)")
    kind = _get(t, "kind", str, where, "sram")
    if kind not in MEMORY_KINDS:
        raise BoardError(f"{where}: kind {kind!r} is not one of {sorted(MEMORY_KINDS)}")
    base = _get(t, "base", int, where)
    cost = _get(t, "access_cost", int, where, 1)
    if cost < 1:
        raise BoardError(f"{where}: access_cost must be >= 1")
    return Region(name, base, parse_size(_get(t, "size", (int, str), where), f"{where}.size"), kind, cost,
                  _get(t, "default", bool, where, False))


def parse_board(data: dict, path: Path) -> Board:
    """Validate a parsed board.toml; `path` is its folder (for messages and port sources)."""
    where = str(path / "board.toml")
    unknown = set(data) - {"schema", "name", "description", "kind", "qemu_machine", "cpu", "flash", "memory",
                           "uart", "firmware", "notes"}
    if unknown:
        raise BoardError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if data.get("schema") != SCHEMA:
        raise BoardError(f"{where}: schema must be {SCHEMA!r}, got {data.get('schema')!r}")
    name = _get(data, "name", str, where)
    if name != path.name:
        raise BoardError(f"{where}: name {name!r} differs from its folder {path.name!r}")
    kind = _get(data, "kind", str, where)
    if kind not in ("real", "emulated"):
        raise BoardError(f"{where}: kind must be 'real' or 'emulated', got {kind!r}")
    qemu = _get(data, "qemu_machine", str, where)
    if kind == "emulated" and qemu != name:
        raise BoardError(f"{where}: an emulated board's qemu_machine must be itself ({name!r})")

    cpu = _get(data, "cpu", dict, where)
    cw = f"{where} [cpu]"
    core = _get(cpu, "core", str, cw)
    if core not in CORES:
        raise BoardError(f"{cw}: core {core!r} is not one of {', '.join(CORES)}")
    arch, fpus, has_dsp = CORES[core]
    fpu = _get(cpu, "fpu", str, cw)
    if fpu not in fpus:
        raise BoardError(f"{cw}: fpu {fpu!r} is not available on {core} (one of {sorted(fpus)})")
    float_abi = _get(cpu, "float_abi", str, cw, "soft" if fpu == "none" else "hard")
    if float_abi not in FLOAT_ABIS or (fpu == "none" and float_abi != "soft"):
        raise BoardError(f"{cw}: float_abi {float_abi!r} invalid (soft without an FPU; soft, softfp or hard)")
    dsp = _get(cpu, "dsp", bool, cw, has_dsp)
    if dsp and not has_dsp:
        raise BoardError(f"{cw}: {core} has no DSP extension")
    clock = _get(cpu, "clock_hz", int, cw)
    if clock <= 0:
        raise BoardError(f"{cw}: clock_hz must be positive")

    fl = _get(data, "flash", dict, where)
    fw = f"{where} [flash]"
    flash = Region("flash", _get(fl, "base", int, fw), parse_size(_get(fl, "size", (int, str), fw), f"{fw}.size"),
                   "flash", _get(fl, "access_cost", int, fw, 1))
    method = _get(fl, "method", str, fw)
    if method not in FLASH_METHODS:
        raise BoardError(f"{fw}: method {method!r} is not one of {sorted(FLASH_METHODS)}")
    if (method == "qemu") != (kind == "emulated"):
        raise BoardError(f"{fw}: method 'qemu' is for emulated boards only (and they must use it)")

    mem = _get(data, "memory", list, where)
    if not mem:
        raise BoardError(f"{where}: at least one [[memory]] region is required")
    regions = tuple(_region(t, f"{where} [[memory]] #{i}") for i, t in enumerate(mem))
    names = [r.name for r in regions]
    if len(set(names)) != len(names) or "flash" in names:
        raise BoardError(f"{where}: memory region names must be unique and not 'flash': {names}")
    defaults = [r for r in regions if r.default]
    if len(regions) == 1 and not defaults:
        regions = (Region(**{**regions[0].__dict__, "default": True}),)
    elif len(defaults) != 1:
        raise BoardError(f"{where}: exactly one memory region must have default = true "
                         f"(it holds the stack, .data and .bss)")
    spans = sorted([flash, *regions], key=lambda r: r.base)
    for a, b in zip(spans, spans[1:]):
        if b.base < a.end:
            raise BoardError(f"{where}: regions {a.name} and {b.name} overlap")
    for r in spans:
        if r.end > 1 << 32:
            raise BoardError(f"{where}: region {r.name} ends past 4 GiB")

    uart = _get(data, "uart", dict, where)
    _get(uart, "peripheral", str, f"{where} [uart]")
    baud = _get(uart, "baud", int, f"{where} [uart]", 115200)
    if baud <= 0:
        raise BoardError(f"{where} [uart]: baud must be positive")

    fwt = _get(data, "firmware", dict, where, {})
    stack = parse_size(fwt.get("stack_bytes", STACK_DEFAULT), f"{where} [firmware].stack_bytes")
    default_size = next(r.size for r in regions if r.default)
    if stack % 8 or stack >= default_size:
        raise BoardError(f"{where} [firmware]: stack_bytes must be a multiple of 8 and fit the default region")
    return Board(name=name, description=_get(data, "description", str, where, ""), emulated=kind == "emulated",
                 qemu_machine=qemu, core=core, arch=arch, fpu=fpu, float_abi=float_abi, dsp=dsp, clock_hz=clock,
                 flash=flash, flash_method=method, memory=regions, uart=dict(uart), stack_bytes=stack, path=path,
                 extra={"notes": data.get("notes", "")})


def board_names() -> list[str]:
    return sorted(p.parent.name for p in BOARDS_DIR.glob("*/board.toml"))


def load_board(name: str) -> Board:
    folder = BOARDS_DIR / name
    if not (folder / "board.toml").is_file():
        raise BoardError(f"unknown board {name!r}; boards: host, {', '.join(board_names())}")
    try:
        data = tomllib.loads((folder / "board.toml").read_text())
    except tomllib.TOMLDecodeError as e:
        raise BoardError(f"{folder / 'board.toml'}: {e}") from None
    board = parse_board(data, folder)
    if not (folder / "port.c").is_file():
        raise BoardError(f"{folder}: port.c is missing (the board port, see docs/boards.md)")
    return board


def qemu_board(board: Board) -> Board:
    """The emulated board (QEMU machine) that runs `board`'s firmware, checked for compatibility."""
    machine = load_board(board.qemu_machine)
    if not machine.emulated:
        raise BoardError(f"{board.name}: qemu_machine {board.qemu_machine!r} is not an emulated board")
    if board.arch not in RUNS[machine.arch]:
        raise BoardError(f"{board.name}: {machine.name} ({machine.core}) cannot execute {board.arch} code")
    if board.fpu != "none" and (machine.fpu == "none" or (board.fpu == "fpv5-d16" and machine.fpu != "fpv5-d16")):
        raise BoardError(f"{board.name}: {machine.name} has no {board.fpu} FPU")
    return machine


def emulation_layout(board: Board, machine: Board) -> tuple[Region, list[Region]]:
    """`board`'s flash and RAM regions, real sizes, at addresses inside `machine`'s memory.

    Flash moves to the machine's flash base. RAM regions are packed in order, default first, into
    the machine's default RAM region, each aligned to 64 KiB (or to its size when smaller).
    """
    if board.flash.size > machine.flash.size:
        raise BoardError(f"{board.name}: flash {board.flash.size:,} B does not fit {machine.name}'s "
                         f"{machine.flash.size:,} B code memory")
    flash = Region("flash", machine.flash.base, board.flash.size, "flash", board.flash.access_cost)
    window = machine.default_region
    ordered = [board.default_region] + [r for r in board.memory if not r.default]
    cursor, placed = window.base, []
    for r in ordered:
        align = min(0x10000, 1 << (r.size - 1).bit_length())
        cursor = (cursor + align - 1) // align * align
        placed.append(Region(r.name, cursor, r.size, r.kind, r.access_cost, r.default))
        cursor += r.size
    if cursor > window.end:
        raise BoardError(f"{board.name}: RAM regions ({board.ram_bytes:,} B) do not fit {machine.name}'s "
                         f"{window.name} ({window.size:,} B)")
    return flash, placed
