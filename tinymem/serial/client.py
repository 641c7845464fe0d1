"""`DeviceClient`: the host side of the tinymem serial protocol (docs/serial-protocol.md).

One client talks to a real board (``/dev/ttyACM0``), to QEMU (``socket://localhost:PORT``) and to
test doubles (``loop://``, ptys) through ``serial.serial_for_url``. Requests go one at a time; each
is retransmitted (same frame, same sequence number) when no valid answer arrives within `timeout`
seconds or when the device reports that the frame arrived damaged, at most `retries` times, so a
call returns or raises within about ``(retries + 1) * timeout`` per request (RUN: at least
`run_timeout`). The device answers a retransmitted request from its cache, so nothing executes twice.

What the client returns is checked end to end: every frame's CRC-32 and sequence number, every
size against INFO, and the outputs against the CRC-32 the device computed over them. It raises a
`DeviceError` subclass rather than return data it could not check.
"""

from __future__ import annotations

import os
import random
import select
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinymem.errors import TinymemError
from tinymem.serial import cobs
from tinymem.serial.protocol import (OVERHEAD, RESPONSE, RETRANSMIT, TM_STATUS, DeviceInfo, Deframer, Err,
                                     ErrorInfo, FetchRequest, FrameError, Msg, frame, parse_error, parse_info,
                                     unpack)


class DeviceError(TinymemError):
    """Talking to the device failed; nothing the client returned is affected."""


class DeviceTimeout(DeviceError):
    """No valid answer within the retries and timeouts."""


class DeviceDisconnected(DeviceError):
    """The port went away and could not be reopened."""


class ProtocolError(DeviceError):
    """The device answered something inconsistent (sizes, CRC of the outputs, INFO)."""


class DeviceErrorResponse(DeviceError):
    """The device answered the request with a typed error."""

    def __init__(self, request: int, err: ErrorInfo):
        self.request, self.err, self.code, self.detail = request, err, err.code, err.detail
        what = _name(request)
        detail = f" ({TM_STATUS.get(err.detail, err.detail)})" if err.code == Err.MODEL else f" (detail {err.detail})"
        super().__init__(f"device rejected {what}: {err.name}{detail}: {err.message}")


def _name(t: int) -> str:
    try:
        return Msg(t).name
    except ValueError:
        return f"message 0x{t:02x}"


@dataclass
class LinkStats:
    """Counters of what the link went through (tests and `--verbose` output read them)."""

    requests: int = 0
    retransmits: int = 0
    bad_frames: int = 0
    foreign_frames: int = 0
    resyncs: int = 0
    reconnects: int = 0
    fetches: int = 0


@dataclass
class RunResult:
    outputs: list[np.ndarray]
    cycles: int
    millis: int
    run_count: int
    seconds: float = 0.0


class _Disconnect(Exception):
    pass


@dataclass
class _Answer:
    payload: bytes | None = None
    error: ErrorInfo | None = None


class DeviceClient:
    """A connection to a device agent.

    url: anything ``serial.serial_for_url`` opens (``/dev/ttyUSB0``, ``socket://host:port``, ...).
    timeout: seconds to wait for each answer before retransmitting.
    retries: retransmissions per request before giving up.
    run_timeout: how long RUN may take on the device (the client keeps listening that long).
    """

    def __init__(self, url: str, *, timeout: float = 1.0, retries: int = 5, run_timeout: float = 30.0,
                 baudrate: int = 115200, reconnect: bool = True, seed: int | None = None):
        if timeout <= 0 or retries < 0:
            raise ValueError("timeout must be > 0 and retries >= 0")
        self.url, self.timeout, self.retries, self.run_timeout = url, timeout, retries, run_timeout
        self.baudrate, self.reconnect = baudrate, reconnect
        self.stats = LinkStats()
        self._rng = random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "little"))
        self._seq = self._rng.randrange(1 << 16)
        self._deframer = Deframer(cobs.max_encoded(0xFFFF + OVERHEAD))
        self._info: DeviceInfo | None = None
        self.last_run: RunResult | None = None
        self._port = None
        try:
            self._open()
        except _Disconnect as e:
            raise DeviceDisconnected(f"cannot open {url}: {e}") from None

    # ---- port handling ----

    def _open(self) -> None:
        import serial

        try:
            self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.02,
                                               write_timeout=max(5.0, self.timeout))
        except Exception as e:  # noqa: BLE001 - pyserial also lets termios.error and others through
            self._port = None
            raise _Disconnect(f"{type(e).__name__}: {e}") from None
        sock = getattr(self._port, "_socket", None)  # socket:// (QEMU): no Nagle delays
        if sock is not None:
            try:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self._deframer.reset()

    def _close_port(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except Exception:  # noqa: BLE001 - closing a dead port may fail in many ways
                pass
            self._port = None

    def close(self) -> None:
        self._close_port()

    def __enter__(self) -> "DeviceClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _reconnect(self, deadline: float, why: str) -> None:
        self._close_port()
        self.stats.reconnects += 1
        while True:
            if not self.reconnect:
                raise DeviceDisconnected(f"lost the connection to {self.url}: {why}")
            try:
                self._open()
                return
            except _Disconnect as e:
                if time.monotonic() >= deadline:
                    raise DeviceDisconnected(f"lost the connection to {self.url} ({why}) and could not "
                                             f"reopen it: {e}") from None
                time.sleep(0.05)

    def _write(self, data: bytes) -> None:
        import serial

        if self._port is None:
            raise _Disconnect("port closed")
        try:
            self._port.write(data)
            self._port.flush()
        except serial.SerialTimeoutException:
            raise _Disconnect("write timed out") from None
        except Exception as e:  # noqa: BLE001 - SerialException, OSError, termios.error (tcdrain on a dead pty)
            raise _Disconnect(f"{type(e).__name__}: {e}") from None

    def _read(self) -> bytes:
        if self._port is None:
            raise _Disconnect("port closed")
        sock = getattr(self._port, "_socket", None)
        try:
            if sock is not None:
                # socket:// — pyserial reads sockets a byte per call; take what has arrived instead.
                ready, _, _ = select.select([sock], [], [], 0.02)
                if not ready:
                    return b""
                data = sock.recv(65536)
                if not data:
                    raise _Disconnect("socket disconnected")
                return data
            return self._port.read(max(1, self._port.in_waiting))
        except (BlockingIOError, InterruptedError):
            return b""
        except _Disconnect:
            raise
        except Exception as e:  # noqa: BLE001 - SerialException, OSError, termios.error
            raise _Disconnect(f"{type(e).__name__}: {e}") from None

    # ---- one request ----

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def _serve_fetch(self, seq: int, payload: bytes, inputs: list[np.ndarray]) -> None:
        """Answer the device's INPUT_FETCH with the window of the input it names (or refuse it)."""
        try:
            req = FetchRequest.parse(payload)
            if req.input not in self.info().streamed:
                raise FrameError(f"INPUT_FETCH for input {req.input}, which is not streamed")
            answer = frame(Msg.INPUT_FETCH | RESPONSE, seq, payload + req.window(inputs[req.input]))
        except FrameError as e:
            msg = str(e).encode("ascii", "replace")[:66]
            answer = frame(Msg.ERROR, seq, struct.pack("<BBi", Err.BAD_ARG, Msg.INPUT_FETCH, 0) + msg)
        self.stats.fetches += 1
        self._write(answer)

    def _await(self, seq: int, type_: int, deadline: float, inputs: list[np.ndarray] | None = None) -> _Answer | None:
        """The answer to request `seq`; with `inputs` (a RUN of a model with streamed inputs) the
        device's INPUT_FETCHes on the way are served from them, each keeping the wait alive."""
        while time.monotonic() < deadline:
            for enc in self._deframer.feed(self._read()):
                try:
                    pkt = unpack(enc)
                except FrameError:
                    self.stats.bad_frames += 1
                    continue
                if pkt.seq != seq:
                    self.stats.foreign_frames += 1
                    continue
                if pkt.type == Msg.INPUT_FETCH and inputs is not None:
                    self._serve_fetch(seq, pkt.payload, inputs)
                    deadline = max(deadline, time.monotonic() + self.timeout)
                    continue
                if pkt.type == type_ | RESPONSE:
                    return _Answer(payload=pkt.payload)
                if pkt.type == Msg.ERROR:
                    try:
                        err = parse_error(pkt.payload)
                    except FrameError:
                        self.stats.bad_frames += 1
                        continue
                    if err.request in (0, type_):
                        return _Answer(error=err)
                self.stats.foreign_frames += 1
        return None

    def _transact(self, type_: int, payload: bytes = b"", wait: float | None = None,
                  inputs: list[np.ndarray] | None = None) -> bytes:
        """Send one request until a valid answer arrives; returns the response payload. `inputs`:
        what INPUT_FETCHes during a RUN are served from."""
        self.stats.requests += 1
        seq = self._next_seq()
        data = frame(type_, seq, payload)
        limit = self._info.max_payload if self._info else None
        if limit is not None and len(payload) > limit:
            raise ProtocolError(f"{_name(type_)} payload of {len(payload)} bytes exceeds the device's {limit}")
        start = time.monotonic()
        give_up = start + (wait or 0.0)  # RUN: keep listening this long after the last send
        sends = resyncs = 0
        why = "no answer"
        while True:
            if sends > self.retries:
                raise DeviceTimeout(f"{_name(type_)}: no valid answer from {self.url} in "
                                    f"{time.monotonic() - start:.1f} s ({sends} attempts; last problem: {why})")
            sends += 1
            if sends > 1:
                self.stats.retransmits += 1
            try:
                self._write(data)
                deadline = time.monotonic() + self.timeout
                if sends > self.retries:
                    deadline = max(deadline, give_up)
                ans = self._await(seq, type_, deadline, inputs)
            except _Disconnect as e:
                self._reconnect(time.monotonic() + self.timeout, str(e))
                why = f"disconnected ({e})"
                continue
            if ans is None:
                why = "timeout"
                continue
            if ans.payload is not None:
                return ans.payload
            err = ans.error
            if err.code in RETRANSMIT or (err.code == Err.OVERSIZE and limit is not None):
                why = f"device saw a damaged frame ({err.name})"
                continue
            if err.code == Err.STALE_SEQ:
                # The request was not executed: continue after the device's last sequence number.
                resyncs += 1
                self.stats.resyncs += 1
                if resyncs > 3:
                    raise ProtocolError(f"{_name(type_)}: device keeps rejecting sequence numbers ({err.message})")
                self._seq = err.detail & 0xFFFF
                seq = self._next_seq()
                data = frame(type_, seq, payload)
                sends = 0
                why = "sequence resynchronised"
                continue
            raise DeviceErrorResponse(type_, err)

    # ---- commands ----

    def ping(self, payload: bytes | None = None) -> float:
        """Round trip of a PING; returns seconds. Raises if the echo differs."""
        payload = os.urandom(8) if payload is None else bytes(payload)
        t0 = time.monotonic()
        got = self._transact(Msg.PING, payload)
        if got != payload:
            raise ProtocolError("PING echo differs from what was sent")
        return time.monotonic() - t0

    def info(self, refresh: bool = False) -> DeviceInfo:
        """Board, firmware and model description (cached; `refresh` asks again)."""
        if self._info is not None and not refresh:
            return self._info
        blob = bytearray()
        total = None
        while total is None or len(blob) < total:
            p = self._transact(Msg.INFO, struct.pack("<I", len(blob)))
            if len(p) < 8:
                raise ProtocolError("short INFO response")
            t, off = struct.unpack_from("<II", p)
            if off != len(blob) or (total is not None and t != total) or len(p) == 8 and t > len(blob):
                raise ProtocolError("inconsistent INFO pieces")
            total = t
            blob += p[8:]
            if len(blob) > total:
                raise ProtocolError("INFO longer than announced")
        try:
            self._info = parse_info(bytes(blob))
        except FrameError as e:
            raise ProtocolError(f"invalid INFO from the device: {e}") from None
        self._deframer.limit = cobs.max_encoded(self._info.max_payload + OVERHEAD)
        return self._info

    def reset_state(self) -> None:
        """Reset the model's persistent state (the device calls the model's reset_state())."""
        self._transact(Msg.RESET_STATE)

    def _check_inputs(self, inputs, info: DeviceInfo) -> list[np.ndarray]:
        if len(inputs) != len(info.inputs):
            raise DeviceError(f"the model on the device has {len(info.inputs)} input(s), {len(inputs)} given")
        out = []
        for x, t in zip(inputs, info.inputs):
            x = np.asarray(x)
            if x.shape != t.shape and x.size == int(np.prod(t.shape, dtype=np.int64)):
                x = x.reshape(t.shape)
            if x.shape != t.shape:
                raise DeviceError(f"input {t.name!r}: shape {list(x.shape)} given, the device needs {list(t.shape)}")
            if x.dtype != t.np_dtype:
                if np.issubdtype(t.np_dtype, np.integer) and not np.issubdtype(x.dtype, np.integer):
                    raise DeviceError(f"input {t.name!r}: dtype {x.dtype} given, the device needs {t.np_dtype} "
                                      f"(quantize it first: scale {t.scale}, zero point {t.zero_point})")
                x = x.astype(t.np_dtype)
            out.append(np.ascontiguousarray(x))
        return out

    def _write_space(self, type_: int, data: bytes, offset: int = 0) -> None:
        step = self.info().max_payload - 4
        for pos in range(0, len(data), step):
            chunk = data[pos:pos + step]
            p = self._transact(type_, struct.pack("<I", offset + pos) + chunk)
            if len(p) != 8 or struct.unpack("<II", p) != (offset + pos, len(chunk)):
                raise ProtocolError(f"{_name(type_)} acknowledged a different range")

    def _read_space(self, type_: int, offset: int, length: int, into: bytearray) -> None:
        step = self.info().max_payload - 4
        end = offset + length
        pos = offset
        while pos < end:
            n = min(step, end - pos)
            p = self._transact(type_, struct.pack("<II", pos, n))
            if len(p) != 4 + n or struct.unpack_from("<I", p)[0] != pos:
                raise ProtocolError(f"{_name(type_)} returned a different range")
            into += p[4:]
            pos += n

    def run(self, inputs) -> tuple[list[np.ndarray], int]:
        """One inference: returns (outputs, cycles). Cycles are the port's counter (CPU cycles on
        boards, instructions on QEMU, nanoseconds on the host port), without the time the device
        spent fetching streamed input windows. Streamed inputs are not written before the RUN:
        the device asks for their windows while it runs, and they are served from `inputs`."""
        t0 = time.monotonic()
        info = self.info()
        arrays = self._check_inputs(inputs, info)
        blob = b"".join(a.tobytes() for i, a in enumerate(arrays) if i not in info.streamed)
        crc = zlib.crc32(blob)
        for attempt in range(3):
            self._write_space(Msg.INPUT_WRITE, blob)
            try:
                p = self._transact(Msg.RUN, struct.pack("<II", crc, len(blob)), wait=self.run_timeout,
                                   inputs=arrays if info.streamed else None)
                break
            except DeviceErrorResponse as e:
                # The inputs held by the device differ from those sent (a stale duplicate frame
                # overwrote some): nothing ran; send them again.
                if e.code != Err.INPUT_CRC or attempt == 2:
                    raise
        if len(p) < 20:
            raise ProtocolError("short RUN response")
        cycles, millis, run_count, total, out_crc = struct.unpack_from("<IIIII", p)
        if total != info.output_bytes:
            raise ProtocolError(f"device returned {total} output bytes, INFO says {info.output_bytes}")
        data = bytearray(p[20:])
        if len(data) > total:
            raise ProtocolError("RUN response holds more output bytes than announced")
        self._read_space(Msg.OUTPUT_READ, len(data), total - len(data), data)
        if zlib.crc32(data) != out_crc:
            raise ProtocolError("the outputs read back do not match the CRC the device computed over them")
        outputs, pos = [], 0
        for t in info.outputs:
            outputs.append(np.frombuffer(bytes(data[pos:pos + t.bytes]), dtype=t.np_dtype).reshape(t.shape).copy())
            pos += t.bytes
        self.last_run = RunResult(outputs, cycles, millis, run_count, time.monotonic() - t0)
        return outputs, cycles

    def params_read(self, offset: int = 0, length: int | None = None) -> bytes:
        """Read updatable parameters (raises DeviceErrorResponse NO_PARAMS if the firmware has none)."""
        info = self.info()
        if length is None:
            length = max(info.params_bytes - offset, 0)
        if not info.params_updatable:
            self._transact(Msg.PARAMS_READ, struct.pack("<II", offset, max(length, 1)))  # raises NO_PARAMS
        if offset < 0 or length <= 0 or offset + length > info.params_bytes:
            raise DeviceError(f"params range [{offset}, {offset + length}) outside the device's {info.params_bytes} bytes")
        out = bytearray()
        self._read_space(Msg.PARAMS_READ, offset, length, out)
        return bytes(out)

    def params_write(self, data: bytes, offset: int = 0, verify: bool = True) -> None:
        """Write updatable parameters, then (verify) read them back and compare."""
        info = self.info()
        data = bytes(data)
        if not info.params_updatable:
            self._transact(Msg.PARAMS_WRITE, struct.pack("<I", offset) + data[:max(1, min(len(data), 16))])
        if offset < 0 or not data or offset + len(data) > info.params_bytes:
            raise DeviceError(f"params range [{offset}, {offset + len(data)}) outside the device's {info.params_bytes} bytes")
        self._write_space(Msg.PARAMS_WRITE, data, offset)
        if verify and self.params_read(offset, len(data)) != data:
            raise ProtocolError("parameters read back differ from those written")

    # ---- against a compiled project ----

    def check_model(self, out: str | Path) -> DeviceInfo:
        """Raise unless the device runs the model compiled in OUT (same SHA-256 and tensors)."""
        import json

        report = json.loads((Path(out) / "report.json").read_text())
        info = self.info()
        want = report["model"]["sha256"]
        if info.model_sha256 != want:
            raise DeviceError(f"the device runs model {info.model_name!r} (sha256 {info.model_sha256[:12]}...), "
                              f"{out} holds {report['model']['name']!r} (sha256 {want[:12]}...): "
                              "build and flash this firmware first")
        for kind, descs, tensors in (("input", report["inputs"], info.inputs), ("output", report["outputs"], info.outputs)):
            got = [(t.dtype, list(t.shape), t.bytes) for t in tensors]
            exp = [(d["dtype"], list(d["shape"]), d["bytes"]) for d in descs]
            if got != exp:
                raise DeviceError(f"the device's {kind}s {got} differ from {out}'s {exp}")
        return info


def run_on_device(out: str | Path, url: str, inputs, **client_options) -> tuple[list[np.ndarray], RunResult]:
    """`tinymem run OUT --board B --port P`: check the device runs OUT's model, run once."""
    with DeviceClient(url, **client_options) as dev:
        dev.check_model(out)
        outputs, _ = dev.run(inputs)
        return outputs, dev.last_run
