"""The tinymem serial protocol: packet layout, message types, error codes, INFO decoding.

docs/serial-protocol.md is the definition; runtime_c/agent/agent.h holds the same constants in C.

A packet is ``u8 version, u8 type, u16 seq, u16 length, payload[length], u32 crc`` (little
endian, CRC-32 IEEE as zlib.crc32 over everything before it); on the wire it is COBS-encoded and
framed by 0x00 bytes on both sides.
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from tinymem.serial import cobs

VERSION = 1
HEADER = struct.Struct("<BBHH")
OVERHEAD = HEADER.size + 4
#: Payload every agent accepts (INFO tells the real maximum, at least this).
MIN_PAYLOAD = 64


class Msg(enum.IntEnum):
    PING = 0x01
    INFO = 0x02
    RESET_STATE = 0x03
    INPUT_WRITE = 0x10
    RUN = 0x11
    OUTPUT_READ = 0x12
    INPUT_FETCH = 0x13  # device -> host during RUN (--stream-input models)
    PARAMS_READ = 0x20
    PARAMS_WRITE = 0x21
    ERROR = 0xFF


RESPONSE = 0x80


class Err(enum.IntEnum):
    UNKNOWN_COMMAND = 1
    BAD_LENGTH = 2
    BAD_CRC = 3
    FRAME = 4
    OVERSIZE = 5
    VERSION = 6
    STALE_SEQ = 7
    BAD_ARG = 8
    INPUT_CRC = 9
    MODEL = 10
    NO_OUTPUT = 11
    NO_PARAMS = 12
    FETCH = 13


#: The request was damaged on the way: send the same frame again.
RETRANSMIT = {Err.BAD_CRC, Err.FRAME}

#: tm_dtype (runtime_c/include/tinymem/types.h) -> IR dtype name.
DTYPES = ["f32", "f16", "s8", "u8", "s16", "s32", "s64", "bool"]

#: tm_status values (types.h), for error messages.
TM_STATUS = {0: "TM_OK", 1: "TM_ERR_SHAPE", 2: "TM_ERR_PARAM", 3: "TM_ERR_SCRATCH", 4: "TM_ERR_UNSUPPORTED",
             5: "TM_ERR_IO"}


class FrameError(ValueError):
    """A received frame is not a valid packet (bad COBS, truncated, bad CRC, bad length field)."""


@dataclass(frozen=True)
class Packet:
    type: int
    seq: int
    payload: bytes
    version: int = VERSION


def pack(type_: int, seq: int, payload: bytes = b"", version: int = VERSION) -> bytes:
    """The packet (not yet encoded)."""
    body = HEADER.pack(version, type_, seq & 0xFFFF, len(payload)) + bytes(payload)
    return body + struct.pack("<I", zlib.crc32(body))


def frame(type_: int, seq: int, payload: bytes = b"") -> bytes:
    """The bytes to send: delimiter, COBS(packet), delimiter."""
    return b"\x00" + cobs.encode(pack(type_, seq, payload)) + b"\x00"


def unpack(encoded: bytes) -> Packet:
    """Decode one frame (its COBS bytes between delimiters) and check it; raises FrameError."""
    try:
        raw = cobs.decode(encoded)
    except cobs.CobsError as e:
        raise FrameError(str(e)) from None
    if len(raw) < OVERHEAD:
        raise FrameError(f"truncated packet ({len(raw)} bytes)")
    (crc,) = struct.unpack_from("<I", raw, len(raw) - 4)
    if zlib.crc32(raw[:-4]) != crc:
        raise FrameError("bad CRC")
    version, type_, seq, length = HEADER.unpack_from(raw)
    if length != len(raw) - OVERHEAD:
        raise FrameError(f"length field {length} but {len(raw) - OVERHEAD} payload bytes")
    if version != VERSION:
        raise FrameError(f"protocol version {version} (this client speaks {VERSION})")
    return Packet(type_, seq, raw[HEADER.size:-4], version)


class Deframer:
    """Splits a byte stream at 0x00 into frames; frames longer than `limit` bytes are dropped."""

    def __init__(self, limit: int):
        self.limit = limit
        self._buf = bytearray()
        self._overflow = False
        self.dropped = 0

    def reset(self) -> None:
        self._buf.clear()
        self._overflow = False

    def feed(self, data: bytes) -> list[bytes]:
        frames = []
        start = 0
        while True:
            end = data.find(b"\x00", start)
            chunk = data[start:] if end < 0 else data[start:end]
            if not self._overflow:
                self._buf += chunk
                if len(self._buf) > self.limit:
                    self._overflow = True
                    self._buf.clear()
            if end < 0:
                return frames
            if self._overflow:
                self.dropped += 1
            elif self._buf:
                frames.append(bytes(self._buf))
            self._buf.clear()
            self._overflow = False
            start = end + 1


@dataclass(frozen=True)
class ErrorInfo:
    code: int
    request: int
    detail: int
    message: str

    @property
    def name(self) -> str:
        try:
            return Err(self.code).name
        except ValueError:
            return f"error {self.code}"


def parse_error(payload: bytes) -> ErrorInfo:
    if len(payload) < 6:
        raise FrameError("short ERROR payload")
    code, req, detail = struct.unpack_from("<BBi", payload)
    return ErrorInfo(code, req, detail, payload[6:].decode("ascii", "replace"))


# ---- INPUT_FETCH ----

#: INPUT_FETCH request (and the head of its answer): input, y0, x0, rows, cols, offset, n.
FETCH = struct.Struct("<IiiiiII")


@dataclass(frozen=True)
class FetchRequest:
    input: int
    y0: int
    x0: int
    rows: int
    cols: int
    offset: int
    n: int

    @classmethod
    def parse(cls, payload: bytes) -> "FetchRequest":
        if len(payload) != FETCH.size:
            raise FrameError(f"INPUT_FETCH payload of {len(payload)} bytes, expected {FETCH.size}")
        return cls(*FETCH.unpack(payload))

    def window(self, image: np.ndarray) -> bytes:
        """Bytes [offset, offset + n) of rows [y0, y0 + rows) x columns [x0, x0 + cols) of a batch-1
        NHWC image; raises FrameError when the window lies outside it."""
        _, h, w, _ = image.shape
        if not (0 <= self.y0 and self.rows > 0 and self.y0 + self.rows <= h and 0 <= self.x0 and self.cols > 0
                and self.x0 + self.cols <= w):
            raise FrameError(f"INPUT_FETCH window rows {self.y0}+{self.rows}, columns {self.x0}+{self.cols} "
                             f"outside the {h}x{w} input")
        data = image[0, self.y0:self.y0 + self.rows, self.x0:self.x0 + self.cols].tobytes()
        if self.n <= 0 or self.offset + self.n > len(data):
            raise FrameError(f"INPUT_FETCH range [{self.offset}, {self.offset + self.n}) outside the "
                             f"{len(data)}-byte window")
        return data[self.offset:self.offset + self.n]


# ---- INFO ----

@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int
    bytes: int

    @property
    def np_dtype(self) -> np.dtype:
        from tinymem.ir import np_dtype

        return np_dtype(self.dtype)


@dataclass(frozen=True)
class DeviceInfo:
    protocol: int
    max_payload: int
    params_updatable: bool
    arena_bytes: int
    state_bytes: int
    params_bytes: int
    input_bytes: int
    output_bytes: int
    run_count: int
    model_status: int
    board: str
    firmware_id: str
    model_name: str
    model_sha256: str
    inputs: tuple[TensorInfo, ...] = field(default_factory=tuple)
    outputs: tuple[TensorInfo, ...] = field(default_factory=tuple)
    #: indices of the inputs the device fetches window by window during RUN (INPUT_FETCH)
    streamed: frozenset[int] = frozenset()


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        s = struct.Struct("<" + fmt)
        if self.pos + s.size > len(self.data):
            raise FrameError("INFO is truncated")
        v = s.unpack_from(self.data, self.pos)
        self.pos += s.size
        return v if len(v) > 1 else v[0]

    def str(self) -> str:
        n = self.take("B")
        if self.pos + n > len(self.data):
            raise FrameError("INFO is truncated")
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s


def _tensor(r: _Reader) -> TensorInfo:
    name = r.str()
    dtype_code, rank = r.take("BB")
    if dtype_code >= len(DTYPES) or rank > 6:
        raise FrameError(f"INFO: bad tensor descriptor for {name!r}")
    shape = tuple(r.take("i") for _ in range(rank))
    scale, zp, nbytes = r.take("fiI")
    t = TensorInfo(name, DTYPES[dtype_code], shape, float(scale), zp, nbytes)
    if any(d < 0 for d in shape) or int(np.prod(shape, dtype=np.int64)) * t.np_dtype.itemsize != nbytes:
        raise FrameError(f"INFO: tensor {name!r} shape {list(shape)} does not match its {nbytes} bytes")
    return t


def parse_info(blob: bytes) -> DeviceInfo:
    r = _Reader(blob)
    proto, flags, max_payload = r.take("BBH")
    if proto != VERSION:
        raise FrameError(f"device speaks protocol version {proto}, this client {VERSION}")
    arena, state, params, nin, nout, runs, status = r.take("IIIIIIi")
    board, fw, name, sha = r.str(), r.str(), r.str(), r.str()
    ni, no = r.take("BB")
    inputs = tuple(_tensor(r) for _ in range(ni))
    outputs = tuple(_tensor(r) for _ in range(no))
    mask = r.take("I") if flags & 2 else 0
    streamed = frozenset(i for i in range(32) if mask >> i & 1)
    if r.pos != len(blob):
        raise FrameError("INFO has trailing bytes")
    if any(i >= ni for i in streamed):
        raise FrameError("INFO: a streamed input that does not exist")
    held = sum(t.bytes for i, t in enumerate(inputs) if i not in streamed)
    if held != nin or sum(t.bytes for t in outputs) != nout:
        raise FrameError("INFO: tensor sizes do not add up to the input/output totals")
    if max_payload < MIN_PAYLOAD:
        raise FrameError(f"INFO: max payload {max_payload} below the protocol minimum {MIN_PAYLOAD}")
    return DeviceInfo(proto, max_payload, bool(flags & 1), arena, state, params, nin, nout, runs, status,
                      board, fw, name, sha, inputs, outputs, streamed)
