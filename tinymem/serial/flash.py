"""`tinymem flash OUT --board B --port P`: put a built firmware on a dev board.

The board's `[flash]` table in boards/<board>/board.toml says how:

    [flash]
    method = "stm32-uart-bootloader"   # or "nrfjprog", "uf2", "qemu" (emulated: nothing to flash)
    base = 0x08000000                  # flash base address (where a raw .bin goes, where GO jumps)
    size = "2M"                        # flash bytes (an int or "2M" / "640K")
    chip_id = 0x470                    # AN3155 GET ID product id (checked before erasing)
    pages = [[512, 4096]]              # erase geometry: [count, bytes] groups from base,
                                       # numbered from 0 as the bootloader numbers pages/sectors
    baud = 115200                      # bootloader UART baud rate (8E1)
    family_id = 0xe48bff56             # uf2 only: UF2 family (RP2040)

The values below are used for the issue's boards when a board.toml (or its [flash] table, or a
key of it) is absent. The firmware is found at OUT/firmware/<board>/firmware.elf (where
`tinymem build` puts it; or .hex / .bin, or OUT/build/<board>/...), or given with --image.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tinymem.boards.board import parse_size
from tinymem.errors import InputError, TinymemError
from tinymem.serial.an3155 import FlashError, FlashLayout, FlashResult, Progress, flash_image
from tinymem.serial.image import Segment, load_image, write_hex, write_uf2

BOARDS_DIR = Path(__file__).resolve().parents[2] / "boards"

BUILTIN: dict[str, dict] = {
    # STM32L4R5: 2 MB dual-bank flash, 4 KB pages in dual-bank mode, pages 0..511 (AN2606)
    "nucleo-l4r5zi": {"method": "stm32-uart-bootloader", "base": 0x08000000, "size": 2 << 20,
                      "chip_id": 0x470, "pages": [[512, 4096]], "baud": 115200},
    # STM32F746: 1 MB in sectors 4 x 32 KB, 1 x 128 KB, 3 x 256 KB
    "stm32f746g-disco": {"method": "stm32-uart-bootloader", "base": 0x08000000, "size": 1 << 20,
                         "chip_id": 0x449, "pages": [[4, 32768], [1, 131072], [3, 262144]], "baud": 115200},
    # STM32H743: 2 MB in two banks of 8 x 128 KB sectors
    "nucleo-h743zi": {"method": "stm32-uart-bootloader", "base": 0x08000000, "size": 2 << 20,
                      "chip_id": 0x450, "pages": [[16, 131072]], "baud": 115200},
    "nrf52840-dk": {"method": "nrfjprog", "base": 0x00000000, "size": 1 << 20},
    "rpi-pico": {"method": "uf2", "base": 0x10000000, "size": 2 << 20, "family_id": 0xE48BFF56},
    "mps2-an386": {"method": "qemu"},
    "mps2-an500": {"method": "qemu"},
    "mps2-an505": {"method": "qemu"},
}

METHODS = ("stm32-uart-bootloader", "nrfjprog", "uf2", "qemu")


@dataclass
class FlashConfig:
    board: str
    method: str
    base: int = 0
    size: int = 0
    chip_id: int | None = None
    pages: list | None = None
    baud: int = 115200
    family_id: int | None = None

    def layout(self) -> FlashLayout:
        if not self.pages:
            raise TinymemError(f"board {self.board}: its [flash] table has no `pages` (erase geometry)")
        layout = FlashLayout(self.base, [(int(c), int(s)) for c, s in self.pages], self.chip_id)
        if self.size and layout.size != self.size:
            raise TinymemError(f"board {self.board}: [flash] pages add up to {layout.size} bytes, size says {self.size}")
        return layout


def flash_config(board: str, boards_dir: Path | None = None) -> FlashConfig:
    toml_path = (boards_dir or BOARDS_DIR) / board / "board.toml"
    table: dict = dict(BUILTIN.get(board, {}))
    if toml_path.exists():
        try:
            doc = tomllib.loads(toml_path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise TinymemError(f"{toml_path}: {e}") from None
        table.update(doc.get("flash", {}))
    elif board not in BUILTIN:
        known = sorted(BUILTIN)
        raise InputError(f"unknown board {board!r} (no {toml_path}); boards: {', '.join(known)}")
    method = table.get("method")
    if method not in METHODS:
        raise TinymemError(f"board {board}: [flash] method {method!r} is not one of {', '.join(METHODS)}")
    fields = {k: table[k] for k in ("base", "size", "chip_id", "pages", "baud", "family_id") if k in table}
    if "size" in fields:
        fields["size"] = parse_size(fields["size"], f"board {board} [flash].size")
    return FlashConfig(board, method, **fields)


def find_firmware(out: str | Path, board: str) -> Path:
    out = Path(out)
    candidates = [out / d / board / f"firmware{ext}" for d in ("firmware", "build") for ext in (".elf", ".hex", ".bin")]
    for c in candidates:
        if c.exists():
            return c
    for d in (out / "firmware" / board, out / "build" / board, out / board):
        for ext in ("*.elf", "*.hex", "*.bin"):
            found = sorted(d.glob(ext)) if d.is_dir() else []
            if len(found) == 1:
                return found[0]
    raise InputError(f"no firmware for {board} in {out} (looked for {candidates[0].relative_to(out)}): "
                     f"run `tinymem build {out} --board {board}` first, or give --image")


def _fresh(derived: Path, source: Path) -> bool:
    return derived == source or (derived.exists() and derived.stat().st_mtime >= source.stat().st_mtime)


def _not_serial(cfg: FlashConfig, image: Path, segments: list[Segment], port: str | None) -> str:
    """Boards without a serial ROM bootloader: write the file their tool takes, say what to run."""
    if cfg.method == "qemu":
        raise TinymemError(f"{cfg.board} is an emulated board: nothing to flash; "
                           f"`tinymem run OUT --board {cfg.board}` starts QEMU with the firmware")
    if cfg.method == "nrfjprog":
        hex_path = image if image.suffix.lower() == ".hex" else image.with_suffix(".hex")
        if not _fresh(hex_path, image):
            hex_path.write_text(write_hex(segments))
        raise TinymemError(
            f"{cfg.board} has no serial ROM bootloader; flash it through its on-board J-Link with "
            f"`nrfjprog -f nrf52 --program {hex_path} --chiperase --verify --reset` (nRF Command Line Tools), "
            f"or `nrfutil device program --firmware {hex_path}`, or copy {hex_path.name} to its JLINK drive")
    # uf2
    uf2 = image.with_suffix(".uf2")
    if not _fresh(uf2, image):  # `tinymem build` may have written it already
        uf2.write_bytes(write_uf2(segments, cfg.family_id or 0xE48BFF56))
    if port and Path(port).is_dir() and (Path(port) / "INFO_UF2.TXT").exists():
        shutil.copy2(uf2, Path(port) / uf2.name)
        return f"copied {uf2.name} to the boot drive {port}; the board restarts into the firmware"
    raise TinymemError(
        f"{cfg.board} has no serial ROM bootloader; hold BOOTSEL while plugging it in, then copy {uf2} to the "
        f"RPI-RP2 drive (or give that drive as --port), or run `picotool load -x {uf2}`")


def flash(out: str | Path, board: str, port: str | None, *, image: str | Path | None = None,
          baud: int | None = None, go: bool = True, timeout: float = 1.0,
          progress: Progress | None = None, boards_dir: Path | None = None) -> FlashResult | str:
    """Flash OUT's firmware (or `image`) to `board` on `port`. Returns a FlashResult (serial
    bootloader) or a message (UF2 copy); raises TinymemError with what to do otherwise."""
    cfg = flash_config(board, boards_dir)
    emulated = cfg.method == "qemu"
    path = Path(image) if image else (find_firmware(out, board) if not emulated else Path(out))
    if not emulated and not path.is_file():
        raise InputError(f"{path} does not exist")
    segments = load_image(path, cfg.base) if not emulated else []
    if cfg.method != "stm32-uart-bootloader":
        return _not_serial(cfg, path, segments, port)
    if not port:
        raise InputError(f"{board} is flashed through its ROM UART bootloader: give the serial port with --port")
    layout = cfg.layout()
    layout.pages_for(segments)  # outside the flash: fail before touching the port
    import serial

    try:
        ser = serial.serial_for_url(port, baudrate=baud or cfg.baud, parity=serial.PARITY_EVEN,
                                    bytesize=serial.EIGHTBITS, stopbits=serial.STOPBITS_ONE, timeout=0.05)
    except Exception as e:  # noqa: BLE001 - SerialException, OSError, termios.error
        raise FlashError(f"cannot open {port}: {e}") from None
    try:
        return flash_image(ser, segments, layout, progress=progress, go=go, timeout=timeout)
    finally:
        try:
            ser.close()
        except Exception:  # noqa: BLE001
            pass
