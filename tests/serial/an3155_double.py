"""A test double of the STM32 ROM UART bootloader (ST AN3155) on a pty, with a flash model and
fault injection. The flasher opens `double.path` like a USB serial adapter.

Flash model: pages of given sizes from `base`, erased to 0xFF; programming a byte that is not
erased fails (as on real parts, where a flash word can be programmed once per erase), writing or
erasing a write-protected page fails; both answer NACK. Checksums and command complements are
checked and answered with NACK as the bootloader does.

Faults (each fires once, on the k-th occurrence, counting from 1):
  nack=(cmd, k)        NACK the command byte pair of the k-th `cmd`
  corrupt_write=k      flip a received data byte of the k-th WRITE MEMORY before the checksum check
  silent=(cmd, k)      stop answering from the k-th `cmd` on (the host times out)
  disconnect_write=k   close the pty in the middle of the k-th WRITE MEMORY's data
  bitrot_write=k       store one flipped bit of the k-th WRITE MEMORY but answer ACK
  asleep=True          never answer (not in bootloader mode)
"""

from __future__ import annotations

import os
import select
import threading
import tty
from dataclasses import dataclass, field

from tinymem.serial.an3155 import (ACK, EXTENDED_ERASE, GET, GET_ID, GET_VERSION, GO, NACK, READ_MEMORY, SYNC,
                                   WRITE_MEMORY, xor)

COMMANDS = bytes([0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92])


@dataclass
class DoubleFaults:
    nack: tuple[int, int] | None = None
    corrupt_write: int | None = None
    silent: tuple[int, int] | None = None
    disconnect_write: int | None = None
    bitrot_write: int | None = None
    asleep: bool = False


class _Gone(Exception):
    pass


@dataclass
class FlashModel:
    base: int
    pages: list[tuple[int, int]]
    protected: set[int] = field(default_factory=set)

    def __post_init__(self):
        self.spans = []
        addr = self.base
        for count, size in self.pages:
            for _ in range(count):
                self.spans.append((addr, size))
                addr += size
        self.mem = bytearray(b"\xff" * (addr - self.base))
        self.erased: list[int] = []

    def page_of(self, a: int) -> int:
        for i, (start, size) in enumerate(self.spans):
            if start <= a < start + size:
                return i
        return -1

    def erase(self, page: int) -> bool:
        if not 0 <= page < len(self.spans) or page in self.protected:
            return False
        start, size = self.spans[page]
        self.mem[start - self.base:start - self.base + size] = b"\xff" * size
        self.erased.append(page)
        return True

    def inside(self, a: int, n: int) -> bool:
        return self.base <= a and a + n <= self.base + len(self.mem)

    def write(self, a: int, data: bytes) -> bool:
        if not self.inside(a, len(data)) or a % 4:
            return False
        if any(self.page_of(a + i) in self.protected for i in (0, len(data) - 1)):
            return False
        off = a - self.base
        if any(b != 0xFF for b in self.mem[off:off + len(data)]):
            return False  # programming a word that is not erased
        self.mem[off:off + len(data)] = data
        return True

    def read(self, a: int, n: int) -> bytes | None:
        return bytes(self.mem[a - self.base:a - self.base + n]) if self.inside(a, n) else None


class BootloaderDouble:
    def __init__(self, flash: FlashModel, faults: DoubleFaults | None = None, chip_id: int = 0x470,
                 version: int = 0x31):
        self.flash, self.faults, self.chip_id, self.version = flash, faults or DoubleFaults(), chip_id, version
        self.master, slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.counts: dict[int, int] = {}
        self.log: list[str] = []
        self.go_address: int | None = None
        self.synced = False
        self._stop = threading.Event()
        self._silent = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "BootloaderDouble":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for fd in (self.master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self._slave = None

    # ---- bytes ----

    def _get(self, n: int, timeout: float = 2.0) -> bytes:
        out = bytearray()
        while len(out) < n:
            if self._stop.is_set() or self.master is None:
                raise _Gone
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                timeout -= 0.05
                if timeout <= 0:
                    raise TimeoutError
                continue
            try:
                out += os.read(self.master, n - len(out))
            except OSError:
                raise _Gone from None
        return bytes(out)

    def _put(self, data: bytes) -> None:
        if self._silent or self.master is None:
            return
        os.write(self.master, bytes(data))

    def _hangup(self) -> None:
        os.close(self.master)
        os.close(self._slave)
        self.master = self._slave = None
        raise _Gone

    def _nth(self, cmd: int) -> int:
        self.counts[cmd] = self.counts.get(cmd, 0) + 1
        return self.counts[cmd]

    def _address(self) -> int | None:
        raw = self._get(5)
        if xor(raw[:4]) != raw[4]:
            self._put([NACK])
            return None
        return int.from_bytes(raw[:4], "big")

    # ---- the bootloader ----

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._step()
                except TimeoutError:
                    continue
        except _Gone:
            return

    def _step(self) -> None:
        f = self.faults
        if not self.synced:
            b = self._get(1, timeout=0.2)[0]
            if b == SYNC and not f.asleep:
                self.synced = True
                self._put([ACK])
            return
        cmd, comp = self._get(2, timeout=0.5)
        if cmd ^ comp != 0xFF:
            self._put([NACK])
            return
        k = self._nth(cmd)
        self.log.append(f"0x{cmd:02x}#{k}")
        if f.silent == (cmd, k):
            self._silent = True
        if f.nack == (cmd, k) or cmd not in COMMANDS:
            self._put([NACK])
            return
        self._put([ACK])
        if cmd == GET:
            self._put(bytes([len(COMMANDS), self.version]) + COMMANDS + bytes([ACK]))
        elif cmd == GET_VERSION:
            self._put(bytes([self.version, 0, 0, ACK]))
        elif cmd == GET_ID:
            self._put(bytes([1]) + self.chip_id.to_bytes(2, "big") + bytes([ACK]))
        elif cmd == READ_MEMORY:
            a = self._address()
            if a is None:
                return
            if not self.flash.inside(a, 1):
                self._put([NACK])
                return
            self._put([ACK])
            n, nc = self._get(2)
            data = self.flash.read(a, n + 1)
            if n ^ nc != 0xFF or data is None:
                self._put([NACK])
                return
            self._put([ACK])
            self._put(data)
        elif cmd == WRITE_MEMORY:
            a = self._address()
            if a is None:
                return
            self._put([ACK])
            n = self._get(1)[0]
            if f.disconnect_write == k:
                self._get((n + 1) // 2)
                self._hangup()
            rest = self._get(n + 2)
            data, check = bytearray(rest[:-1]), rest[-1]
            if f.corrupt_write == k:
                data[len(data) // 2] ^= 0x10
            if xor(bytes([n]) + data) != check:
                self._put([NACK])
                return
            if f.bitrot_write == k:
                data[3] ^= 0x01
            self._put([ACK] if self.flash.write(a, bytes(data)) else [NACK])
        elif cmd == EXTENDED_ERASE:
            head = self._get(2)
            n = int.from_bytes(head, "big")
            if n >= 0xFFF0:  # special erase (0xFFFF mass, 0xFFFE bank 1, 0xFFFD bank 2)
                check = self._get(1)[0]
                ok = check == xor(head) and n == 0xFFFF and all(self.flash.erase(p) for p in range(len(self.flash.spans)))
                self._put([ACK] if ok else [NACK])
                return
            body = self._get(2 * (n + 1))
            check = self._get(1)[0]
            if xor(head + body) != check:
                self._put([NACK])
                return
            pages = [int.from_bytes(body[i:i + 2], "big") for i in range(0, len(body), 2)]
            ok = all(self.flash.erase(p) for p in pages)
            self._put([ACK] if ok else [NACK])
        elif cmd == GO:
            a = self._address()
            if a is None:
                return
            self.go_address = a  # before the ACK: the host may look right after it
            self.synced = False  # "jumped": the firmware runs now
            self._put([ACK])
        else:  # protection commands: accepted, no effect here
            self._put([ACK])
