"""Consistent Overhead Byte Stuffing, the framing of the device protocol (same as runtime_c/agent/cobs.c).

The encoder emits no zero byte, so 0x00 delimits frames. A packet of n bytes encodes to at most
``max_encoded(n)`` bytes.
"""

from __future__ import annotations

import numpy as np


class CobsError(ValueError):
    """The bytes are not a valid COBS encoding."""


def max_encoded(n: int) -> int:
    return n + n // 254 + 1


def encode(data: bytes) -> bytes:
    data = bytes(data)
    if len(data) > 256:
        return _encode_np(data)
    out = bytearray()
    for seg in data.split(b"\x00"):
        pos = 0
        while len(seg) - pos >= 254:
            out.append(0xFF)
            out += seg[pos:pos + 254]
            pos += 254
        out.append(len(seg) - pos + 1)
        out += seg[pos:]
    return bytes(out)


def _encode_np(data: bytes) -> bytes:
    """The same encoding, vectorised: each zero (and the end) closes a segment; segments of 254
    bytes or more are cut into 254-byte blocks with code 0xFF, the rest gets code len + 1."""
    d = np.frombuffer(data, np.uint8)
    zeros = np.flatnonzero(d == 0)
    ends = np.append(zeros, len(d))
    starts = np.concatenate(([0], zeros + 1))
    lengths = ends - starts
    full = lengths // 254
    nblocks = full + 1
    seg = np.repeat(np.arange(len(lengths)), nblocks)
    first = np.cumsum(nblocks) - nblocks
    j = np.arange(len(seg)) - first[seg]
    blen = np.where(j < full[seg], 254, lengths[seg] - 254 * full[seg])
    codes = np.where(j < full[seg], 255, blen + 1)
    out_start = np.cumsum(blen + 1) - (blen + 1)
    out = np.empty(int((blen + 1).sum()), np.uint8)
    mask = np.ones(len(out), bool)
    mask[out_start] = False
    out[mask] = d[d != 0]
    out[out_start] = codes
    return out.tobytes()


def decode(data: bytes) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        i += 1
        if code == 0:
            raise CobsError("zero byte inside a COBS frame")
        block = data[i:i + code - 1]
        if len(block) != code - 1:
            raise CobsError("COBS block runs past the end of the frame")
        if 0 in block:
            raise CobsError("zero byte inside a COBS frame")
        out += block
        i += code - 1
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)
