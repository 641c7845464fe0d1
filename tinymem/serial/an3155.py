"""Flashing STM32 parts through their ROM UART bootloader (ST application note AN3155).

Protocol summary (host side; 8 data bits, even parity, 1 stop bit on real ports):
  - sync: send 0x7F, the bootloader answers ACK (0x79) and fixes its baud rate;
  - every command is a byte and its complement (0x31 0xCE), answered with ACK or NACK (0x1F);
  - addresses are 4 bytes big-endian followed by their XOR; data blocks carry N-1 then the
    N bytes then the XOR of (N-1, bytes); every step is ACKed or NACKed;
  - GET 0x00 (version + supported commands), GET ID 0x02 (product id), READ MEMORY 0x11 (up to
    256 bytes), WRITE MEMORY 0x31 (up to 256 bytes, a multiple of 4), ERASE 0x43 / EXTENDED ERASE
    0x44 (a device has one of them; 0x44 takes 2-byte page numbers, 0xFFFF = mass erase), GO 0x21.

`flash_image` erases the pages an image covers, writes it in 256-byte blocks aligned to 256
bytes (every flash word is programmed once, gaps inside a block are 0xFF), reads every block back
and compares, then jumps to the firmware. Any NACK, timeout, lost port or read-back difference
raises a FlashError naming the step and the address; it never retries behind the user's back and
never reports success without a full read-back match.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from tinymem.errors import TinymemError
from tinymem.serial.image import Segment

ACK, NACK, SYNC = 0x79, 0x1F, 0x7F
GET, GET_VERSION, GET_ID, READ_MEMORY, GO, WRITE_MEMORY, ERASE, EXTENDED_ERASE = (
    0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x44)
BLOCK = 256

NAMES = {GET: "GET", GET_VERSION: "GET VERSION", GET_ID: "GET ID", READ_MEMORY: "READ MEMORY", GO: "GO",
         WRITE_MEMORY: "WRITE MEMORY", ERASE: "ERASE", EXTENDED_ERASE: "EXTENDED ERASE"}


class FlashError(TinymemError):
    """Flashing failed; the device's flash may be partly written (flash again)."""


class BootloaderNack(FlashError):
    pass


class BootloaderTimeout(FlashError):
    pass


class BootloaderDisconnected(FlashError):
    pass


class VerifyError(FlashError):
    pass


def xor(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


class Stm32Bootloader:
    """AN3155 commands over an open pyserial port (8E1 for real UARTs; a read timeout <= 0.1 s)."""

    def __init__(self, port, timeout: float = 1.0, erase_timeout_per_page: float = 4.0):
        self.port = port
        if port.timeout is None or port.timeout > 0.1:
            port.timeout = 0.05  # reads poll; the deadlines below bound every wait
        self.timeout = timeout
        self.erase_timeout_per_page = erase_timeout_per_page
        self.version: int | None = None
        self.commands: bytes = b""

    # ---- bytes ----

    def _write(self, data: bytes, what: str = "") -> None:
        try:
            self.port.write(bytes(data))
            self.port.flush()
        except Exception as e:  # noqa: BLE001 - SerialException, OSError, termios.error...
            raise BootloaderDisconnected(f"{what + ': ' if what else ''}lost the serial port while writing: {e}") from None

    def _read(self, n: int, what: str, timeout: float | None = None) -> bytes:
        timeout = self.timeout if timeout is None else timeout
        out = bytearray()
        end = time.monotonic() + timeout
        while len(out) < n:
            left = end - time.monotonic()
            if left <= 0:
                raise BootloaderTimeout(f"{what}: no answer from the bootloader within {timeout:.1f} s "
                                        f"({len(out)} of {n} bytes)")
            try:
                chunk = self.port.read(n - len(out))
            except Exception as e:  # noqa: BLE001
                raise BootloaderDisconnected(f"{what}: lost the serial port: {e}") from None
            out += chunk
        return bytes(out)

    def _ack(self, what: str, timeout: float | None = None, hint: str = "") -> None:
        b = self._read(1, what, timeout)[0]
        if b == NACK:
            raise BootloaderNack(f"{what}: the bootloader answered NACK{hint}")
        if b != ACK:
            raise FlashError(f"{what}: unexpected byte 0x{b:02x} instead of ACK")

    def _command(self, code: int) -> None:
        if self.commands and code not in self.commands and code != GET:
            raise FlashError(f"the bootloader does not offer {NAMES.get(code, hex(code))}")
        name = NAMES.get(code, f"command 0x{code:02x}")
        self._write(bytes([code, code ^ 0xFF]), name)
        self._ack(name)

    def _address(self, what: str, address: int) -> None:
        a = address.to_bytes(4, "big")
        self._write(a + bytes([xor(a)]), f"{what} at 0x{address:08x}")
        self._ack(f"{what} at 0x{address:08x}: address", hint=" (address not accepted)")

    # ---- commands ----

    def sync(self, attempts: int = 3) -> None:
        try:
            self.port.reset_input_buffer()
        except Exception:  # noqa: BLE001 - not every port type has one
            pass
        for _ in range(attempts):
            self._write(bytes([SYNC]), "sync")
            try:
                b = self._read(1, "sync")[0]
            except BootloaderTimeout:
                continue
            if b in (ACK, NACK):  # NACK: already synchronised (0x7F taken as an unknown command)
                return
        raise BootloaderTimeout("no answer to 0x7F: is the board in its ROM bootloader (BOOT0 high, then reset) "
                                "and the port wired to a bootloader UART (AN2606 lists them)?")

    def get(self) -> tuple[int, bytes]:
        self._command(GET)
        n = self._read(1, "GET")[0]
        data = self._read(n + 1, "GET")
        self._ack("GET")
        self.version, self.commands = data[0], data[1:]
        return self.version, self.commands

    def get_id(self) -> int:
        self._command(GET_ID)
        n = self._read(1, "GET ID")[0]
        pid = self._read(n + 1, "GET ID")
        self._ack("GET ID")
        return int.from_bytes(pid, "big")

    def read_memory(self, address: int, n: int) -> bytes:
        if not 1 <= n <= BLOCK:
            raise ValueError("READ MEMORY reads 1..256 bytes")
        self._command(READ_MEMORY)
        self._address("READ MEMORY", address)
        self._write(bytes([n - 1, (n - 1) ^ 0xFF]), f"READ MEMORY at 0x{address:08x}")
        self._ack(f"READ MEMORY at 0x{address:08x}: length")
        return self._read(n, f"READ MEMORY at 0x{address:08x}: data")

    def write_memory(self, address: int, data: bytes) -> None:
        if not 1 <= len(data) <= BLOCK or len(data) % 4 or address % 4:
            raise ValueError("WRITE MEMORY writes 4..256 bytes, a multiple of 4, at a 4-aligned address")
        self._command(WRITE_MEMORY)
        self._address("WRITE MEMORY", address)
        head = bytes([len(data) - 1])
        what = f"WRITE MEMORY at 0x{address:08x}: data"
        self._write(head + data + bytes([xor(head + data)]), what)
        self._ack(what, hint=" (checksum, write protection or programming error)")

    def erase_pages(self, pages: list[int]) -> None:
        """EXTENDED ERASE (or legacy ERASE) of the given page numbers."""
        timeout = max(self.timeout, self.erase_timeout_per_page * len(pages))
        if EXTENDED_ERASE in self.commands or not self.commands:
            for i in range(0, len(pages), 64):  # groups keep every step's wait bounded
                group = pages[i:i + 64]
                self._command(EXTENDED_ERASE)
                body = (len(group) - 1).to_bytes(2, "big") + b"".join(p.to_bytes(2, "big") for p in group)
                what = f"EXTENDED ERASE of pages {group[0]}..{group[-1]}"
                self._write(body + bytes([xor(body)]), what)
                self._ack(what, max(self.timeout, self.erase_timeout_per_page * len(group)),
                          hint=" (write protection?)")
        elif ERASE in self.commands:
            if max(pages) > 0xFF:
                raise FlashError("legacy ERASE cannot name pages above 255")
            self._command(ERASE)
            body = bytes([len(pages) - 1, *pages])
            self._write(body + bytes([xor(body)]), "ERASE")
            self._ack("ERASE", timeout, hint=" (write protection?)")
        else:
            raise FlashError("the bootloader offers no erase command")

    def go(self, address: int) -> None:
        self._command(GO)
        self._address("GO", address)


# ---- flash geometry ----

@dataclass
class FlashLayout:
    """Flash of an STM32 part as the bootloader numbers its pages (sectors): groups of
    (count, size) from `base`, numbered consecutively from 0."""

    base: int
    pages: list[tuple[int, int]]
    chip_id: int | None = None

    @property
    def size(self) -> int:
        return sum(c * s for c, s in self.pages)

    def page_spans(self) -> list[tuple[int, int, int]]:
        """(page number, start address, size) of every page."""
        out, addr, num = [], self.base, 0
        for count, size in self.pages:
            for _ in range(count):
                out.append((num, addr, size))
                addr += size
                num += 1
        return out

    def pages_for(self, segments: list[Segment]) -> list[int]:
        spans = self.page_spans()
        pages = set()
        for s in segments:
            if s.address < self.base or s.end > self.base + self.size:
                raise FlashError(f"image bytes 0x{s.address:08x}..0x{s.end:08x} lie outside the flash "
                                 f"0x{self.base:08x}..0x{self.base + self.size:08x}")
            for num, start, size in spans:
                if start < s.end and s.address < start + size:
                    pages.add(num)
        return sorted(pages)


def blocks(segments: list[Segment]) -> dict[int, bytes]:
    """The image as 256-byte blocks at 256-aligned addresses (0xFF where it has no bytes);
    blocks that are all 0xFF are left out (erased flash already reads so)."""
    out: dict[int, bytearray] = {}
    for s in segments:
        for i, b in enumerate(s.data):
            a = s.address + i
            blk = out.setdefault(a & ~(BLOCK - 1), bytearray(b"\xff" * BLOCK))
            blk[a & (BLOCK - 1)] = b
    return {a: bytes(b) for a, b in sorted(out.items()) if b != b"\xff" * BLOCK}


@dataclass
class FlashResult:
    chip_id: int
    bootloader_version: int
    pages_erased: int
    bytes_written: int
    seconds: float
    started: bool
    notes: list[str] = field(default_factory=list)


Progress = Callable[[str, int, int], None]


def flash_image(port, segments: list[Segment], layout: FlashLayout, *, progress: Progress | None = None,
                go: bool = True, timeout: float = 1.0, erase_timeout_per_page: float = 4.0) -> FlashResult:
    """Erase, write, read back and compare, then (go) start the firmware. Raises FlashError."""
    t0 = time.monotonic()
    progress = progress or (lambda phase, done, total: None)
    data = blocks(segments)
    pages = layout.pages_for(segments)
    if not data:
        raise FlashError("the image holds no bytes to write")
    bl = Stm32Bootloader(port, timeout, erase_timeout_per_page)
    bl.sync()
    version, _ = bl.get()
    chip = bl.get_id()
    if layout.chip_id is not None and chip != layout.chip_id:
        raise FlashError(f"the device reports chip id 0x{chip:03x}, the board expects 0x{layout.chip_id:03x}: "
                         "wrong --board, or another part on that port")
    progress("erase", 0, len(pages))
    bl.erase_pages(pages)
    progress("erase", len(pages), len(pages))
    total = len(data) * BLOCK
    done = 0
    for addr, blk in data.items():
        bl.write_memory(addr, blk)
        done += BLOCK
        progress("write", done, total)
    done = 0
    for addr, blk in data.items():
        back = bl.read_memory(addr, BLOCK)
        if back != blk:
            i = next(k for k in range(BLOCK) if back[k] != blk[k])
            raise VerifyError(f"read-back differs at 0x{addr + i:08x}: wrote 0x{blk[i]:02x}, read 0x{back[i]:02x} "
                              "(flash not written correctly; flash again)")
        done += BLOCK
        progress("verify", done, total)
    if go:
        bl.go(layout.base)
    return FlashResult(chip, version, len(pages), sum(len(s.data) for s in segments), time.monotonic() - t0, go)
