"""`Qemu`: run firmware on an emulated Cortex-M board, its UART on a local TCP port.

    with Qemu(elf, "mps2-an386") as q:          # started; q.serial_url = "socket://127.0.0.1:PORT"
        client = DeviceClient(q.serial_url)     # pyserial serial_for_url
        ...
    # leaving the block stops QEMU: SIGTERM, then SIGKILL; no process outlives it

The listening socket is created here and handed to QEMU as an open file descriptor (`-chardev
socket,fd=N,server=on,wait=off`), so the port is known before QEMU starts and no other process can
take it. QEMU also dies with its parent (PR_SET_PDEATHSIG), and an atexit hook kills any still
running, so not even a crashed test run leaves one behind.

Instruction counts: QEMU runs with `-icount shift=ICOUNT_SHIFT`, so virtual time advances by
exactly 2^ICOUNT_SHIFT ns per instruction; the board port (boards/common/mps2/cmsdk_port.h) turns
a hardware timer counting virtual time back into instructions, exactly. See docs/boards.md.

Firmware stops the emulator with a semihosting exit; the process exit status is the firmware's
(EXIT_FAULT when startup.c caught a CPU fault).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

from tinymem.errors import TinymemError, ToolchainError

ICOUNT_SHIFT = 7   # 128 ns of virtual time per instruction (>= 1 timer tick at 20-25 MHz: exact counts)
EXIT_FAULT = 99    # boards/common/cortex-m/startup.c TM_EXIT_FAULT
QEMU = "qemu-system-arm"
MARKER = f"tinymem-{os.getpid()}"  # `-name` of every QEMU this process starts (tests look for leftovers)

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


class QemuError(TinymemError):
    """QEMU could not start, timed out, or the firmware stopped with an error."""


def qemu_binary() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise ToolchainError(f"{QEMU} not found: install qemu-system-arm "
                             f"(Debian/Ubuntu: apt-get install --no-install-recommends qemu-system-arm)")
    return path


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _kill_all() -> None:
    with _live_lock:
        procs = list(_live)
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_kill_all)


def live_processes() -> list[int]:
    """PIDs of QEMU processes started by this Python process that are still running (any thread)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(QEMU.encode()) and MARKER.encode() in argv:
            try:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                pids.append(int(entry.name))
    return pids


def qemu_args(elf: str | Path, machine: str, *, icount_shift: int | None = ICOUNT_SHIFT,
              serial_fd: int | None = None) -> list[str]:
    args = [qemu_binary(), "-name", MARKER, "-machine", machine, "-nographic", "-monitor", "none",
            "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    if icount_shift is not None:
        args += ["-icount", f"shift={icount_shift},sleep=off"]
    if serial_fd is None:
        args += ["-serial", "null"]
    else:
        args += ["-chardev", f"socket,id=tmser0,fd={serial_fd},server=on,wait=off", "-serial", "chardev:tmser0"]
    return args


class Qemu:
    """One QEMU process running `elf` on `machine`; use as a context manager."""

    def __init__(self, elf: str | Path, machine: str, *, serial: bool = True, cwd: str | Path | None = None,
                 icount_shift: int | None = ICOUNT_SHIFT):
        self.elf = Path(elf)
        if not self.elf.is_file():
            raise QemuError(f"{elf}: no such firmware")
        self.machine = machine
        self.serial = serial
        self.cwd = cwd
        self.icount_shift = icount_shift
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._log = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "Qemu":
        listener = None
        fds: tuple[int, ...] = ()
        if self.serial:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            self.port = listener.getsockname()[1]
            fds = (listener.fileno(),)
        self._log = tempfile.TemporaryFile()
        try:
            cmd = qemu_args(self.elf, self.machine, icount_shift=self.icount_shift,
                            serial_fd=fds[0] if fds else None)
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                         pass_fds=fds, cwd=self.cwd, preexec_fn=_die_with_parent)
            with _live_lock:
                _live.add(self.proc)
        finally:
            if listener is not None:
                listener.close()  # QEMU holds its own copy of the descriptor
        return self

    def __enter__(self) -> "Qemu":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def serial_url(self) -> str:
        if self.port is None:
            raise QemuError("this QEMU has no serial port (serial=False)")
        return f"socket://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float) -> int:
        """Wait for the firmware to stop QEMU (semihosting exit); its status. Kills on timeout."""
        assert self.proc is not None, "not started"
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise QemuError(f"{self.elf.name} on {self.machine} did not finish within {timeout:g} s "
                            f"(killed){self._tail()}") from None

    def stop(self, grace: float = 2.0) -> None:
        """Stop QEMU if it still runs: SIGTERM (QEMU exits cleanly), then SIGKILL after `grace` s."""
        p = self.proc
        if p is not None:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(grace)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            with _live_lock:
                _live.discard(p)

    def output(self) -> str:
        """QEMU's console: semihosting writes (tm_port_log) and QEMU's own messages."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def _tail(self) -> str:
        text = self.output().strip()
        return f"; console:\n{text[-2000:]}" if text else ""

    def check_exit(self, status: int) -> None:
        if status == EXIT_FAULT:
            raise QemuError(f"{self.elf.name} stopped on a CPU fault on {self.machine}{self._tail()}")
        if status != 0:
            raise QemuError(f"{self.elf.name} exited with status {status} on {self.machine}{self._tail()}")


def run_semihosted(elf: str | Path, machine: str, cwd: str | Path, timeout: float = 120.0) -> tuple[int, str]:
    """Run firmware that talks through semihosting only; (exit status, console text)."""
    with Qemu(elf, machine, serial=False, cwd=cwd) as q:
        status = q.wait(timeout)
        return status, q.output()

