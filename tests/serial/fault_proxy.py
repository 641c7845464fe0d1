"""A fault-injecting proxy between a serial client and a device agent, for the serial tests.

The agent is a process whose stdin/stdout are the device's UART (tinymem.serial.host_agent). The
client side is a TCP socket (``socket://127.0.0.1:PORT``, as for QEMU) or a pty (a path, as for a
USB serial port). The proxy cuts each direction into units at 0x00 delimiters and, with a seeded
random generator, drops, duplicates, corrupts, truncates, reorders (holds a unit back until after
the next one) and prefixes units with garbage, floods oversize runs of non-zero bytes, and
disconnects the client. With all probabilities zero it is a transparent bridge.
"""

from __future__ import annotations

import os
import random
import selectors
import socket
import threading
import time
import tty
from dataclasses import dataclass, field


@dataclass
class Faults:
    drop: float = 0.0
    duplicate: float = 0.0
    corrupt: float = 0.0
    truncate: float = 0.0
    reorder: float = 0.0
    garbage: float = 0.0
    flood: float = 0.0
    disconnect: float = 0.0
    #: which directions get faults: "c2a" (client to agent), "a2c" or both
    directions: tuple[str, ...] = ("c2a", "a2c")
    #: the link goes down for good after this many units (in those directions): each later unit is
    #: lost and disconnects the client (deterministic, unlike `disconnect`)
    cut_after: int | None = None

    def __post_init__(self):
        self.units_seen = 0

    @classmethod
    def none(cls) -> "Faults":
        return cls()

    @classmethod
    def mix(cls, p: float, disconnect: float = 0.0) -> "Faults":
        """Every fault kind with probability p per unit."""
        return cls(drop=p, duplicate=p, corrupt=p, truncate=p, reorder=p, garbage=p, flood=p / 4,
                   disconnect=disconnect)


@dataclass
class ProxyStats:
    units: int = 0
    counts: dict = field(default_factory=dict)

    def hit(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


class _Direction:
    def __init__(self, name: str):
        self.name = name
        self.buf = bytearray()
        self.held: bytes | None = None

    def units(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while True:
            i = self.buf.find(b"\x00")
            if i < 0:
                return out
            out.append(bytes(self.buf[:i + 1]))
            del self.buf[:i + 1]


class FaultProxy:
    """Bridge client <-> agent process with faults. Use as a context manager; `url` is for the client."""

    def __init__(self, agent_stdin: int, agent_stdout: int, faults: Faults | None = None, seed: int = 0,
                 transport: str = "tcp"):
        self.faults = faults or Faults.none()
        self.rng = random.Random(seed)
        self.stats = ProxyStats()
        self._ain, self._aout = agent_stdin, agent_stdout
        os.set_blocking(self._aout, False)
        self._transport = transport
        self._sel = selectors.DefaultSelector()
        self._client = None  # socket or master fd
        self._listener = None
        self._slave = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._c2a, self._a2c = _Direction("c2a"), _Direction("a2c")
        if transport == "tcp":
            self._listener = socket.socket()
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind(("127.0.0.1", 0))
            self._listener.listen(4)
            self._listener.setblocking(False)
            self._sel.register(self._listener, selectors.EVENT_READ, "accept")
            self.url = f"socket://127.0.0.1:{self._listener.getsockname()[1]}"
        elif transport == "pty":
            master, slave = os.openpty()
            tty.setraw(slave)
            tty.setraw(master)
            os.set_blocking(master, False)
            self._client, self._slave = master, slave
            self._sel.register(master, selectors.EVENT_READ, "client")
            self.url = os.ttyname(slave)
        else:
            raise ValueError(transport)
        self._sel.register(self._aout, selectors.EVENT_READ, "agent")
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._drop_client()
        for s in (self._listener,):
            if s is not None:
                s.close()
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None
        self._sel.close()

    # ---- client endpoint ----

    def _drop_client(self) -> None:
        if self._client is None:
            return
        try:
            self._sel.unregister(self._client)
        except (KeyError, ValueError):
            pass
        if isinstance(self._client, socket.socket):
            self._client.close()
        else:
            os.close(self._client)
            if self._slave is not None:
                os.close(self._slave)
                self._slave = None
        self._client = None
        self._c2a.buf.clear()
        self._c2a.held = self._a2c.held = None

    def _client_write(self, data: bytes) -> None:
        if self._client is None or not data:
            return
        try:
            if isinstance(self._client, socket.socket):
                self._client.setblocking(True)
                self._client.settimeout(2.0)
                self._client.sendall(data)
                self._client.setblocking(False)
            else:
                view = memoryview(data)
                t_end = time.monotonic() + 2.0
                while view and time.monotonic() < t_end:
                    try:
                        n = os.write(self._client, view)
                        view = view[n:]
                    except BlockingIOError:
                        time.sleep(0.001)
        except OSError:
            self._drop_client()

    def _agent_write(self, data: bytes) -> None:
        try:
            os.write(self._ain, data) if len(data) < 512 else self._write_all(self._ain, data)
        except (BrokenPipeError, OSError):
            self._stop.set()

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    # ---- faults ----

    def _emit(self, d: _Direction, data: bytes) -> None:
        if d.name == "c2a":
            self._agent_write(data)
        else:
            self._client_write(data)

    def _apply(self, d: _Direction, unit: bytes) -> None:
        f, r = self.faults, self.rng
        self.stats.units += 1
        if unit == b"\x00" or d.name not in f.directions:
            self._emit(d, unit)
            return
        if f.cut_after is not None:
            f.units_seen += 1
            if f.units_seen > f.cut_after:
                self.stats.hit("cut")
                self._drop_client()
                return
        if r.random() < f.disconnect and self._client is not None:
            self.stats.hit("disconnect")
            self._drop_client()
            return
        if r.random() < f.garbage:
            self.stats.hit("garbage")
            self._emit(d, bytes(r.randrange(256) for _ in range(r.randrange(1, 40))))
        if r.random() < f.flood:
            self.stats.hit("flood")
            self._emit(d, bytes(r.randrange(1, 256) for _ in range(r.randrange(4500, 9000))))
        if r.random() < f.drop:
            self.stats.hit("drop")
            return
        if r.random() < f.corrupt:
            self.stats.hit("corrupt")
            b = bytearray(unit)
            for _ in range(r.randrange(1, 4)):
                i = r.randrange(len(b))
                b[i] ^= 1 << r.randrange(8)
            unit = bytes(b)
        if r.random() < f.truncate and len(unit) > 2:
            self.stats.hit("truncate")
            unit = unit[:r.randrange(1, len(unit) - 1)] + b"\x00"
        if r.random() < f.reorder and d.held is None:
            self.stats.hit("reorder")
            d.held = unit
            return
        self._emit(d, unit)
        if r.random() < f.duplicate:
            self.stats.hit("duplicate")
            self._emit(d, unit)
        if d.held is not None:
            held, d.held = d.held, None
            self._emit(d, held)

    def _pump(self, d: _Direction, data: bytes) -> None:
        for unit in d.units(data):
            self._apply(d, unit)

    # ---- loop ----

    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.05):
                what = key.data
                if what == "accept":
                    try:
                        conn, _ = self._listener.accept()
                    except OSError:
                        continue
                    self._drop_client()
                    conn.setblocking(False)
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self._client = conn
                    self._sel.register(conn, selectors.EVENT_READ, "client")
                elif what == "client":
                    if key.fileobj != self._client:
                        continue  # dropped or replaced earlier in this batch of events
                    try:
                        if isinstance(self._client, socket.socket):
                            data = self._client.recv(65536)
                        else:
                            data = os.read(self._client, 65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        if isinstance(self._client, socket.socket):
                            self._drop_client()
                        continue
                    self._pump(self._c2a, data)
                elif what == "agent":
                    try:
                        data = os.read(self._aout, 65536)
                    except BlockingIOError:
                        continue
                    if not data:
                        self._stop.set()
                        break
                    self._pump(self._a2c, data)
