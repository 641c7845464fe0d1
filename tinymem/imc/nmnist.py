"""`read_nmnist` / `write_nmnist`: the N-MNIST binary event format.

Each event is 5 bytes: x (u8), y (u8), then 24 bits big-endian holding the polarity in the top bit
and the timestamp in microseconds in the 23 bits below (Orchard et al. 2015, the dataset's
`read_dataset` description). Events come back as a structured array with fields x, y, p, t.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

EVENT_DTYPE = np.dtype([("x", np.uint8), ("y", np.uint8), ("p", np.uint8), ("t", np.uint32)])
SENSOR = 34  # the ATIS crop used by N-MNIST is 34 x 34 pixels


def decode_nmnist(raw: bytes) -> np.ndarray:
    """Events from the bytes of an N-MNIST file."""
    if len(raw) % 5:
        raise ValueError(f"N-MNIST data is {len(raw)} bytes, not a multiple of 5")
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 5).astype(np.uint32)
    word = (b[:, 2] << 16) | (b[:, 3] << 8) | b[:, 4]
    ev = np.empty(b.shape[0], dtype=EVENT_DTYPE)
    ev["x"], ev["y"] = b[:, 0], b[:, 1]
    ev["p"] = word >> 23
    ev["t"] = word & 0x7FFFFF
    return ev


def read_nmnist(path: str | Path) -> np.ndarray:
    """Events of one N-MNIST recording file."""
    return decode_nmnist(Path(path).read_bytes())


def encode_nmnist(events: np.ndarray) -> bytes:
    """The N-MNIST bytes of `events` (timestamps must fit 23 bits, polarity 0/1)."""
    t = events["t"].astype(np.uint32)
    if t.size and int(t.max()) >= 1 << 23:
        raise ValueError("timestamp does not fit the 23-bit field")
    word = (events["p"].astype(np.uint32) & 1) << 23 | t
    out = np.empty((events.size, 5), dtype=np.uint8)
    out[:, 0], out[:, 1] = events["x"], events["y"]
    out[:, 2], out[:, 3], out[:, 4] = word >> 16, (word >> 8) & 0xFF, word & 0xFF
    return out.tobytes()


def write_nmnist(path: str | Path, events: np.ndarray) -> None:
    Path(path).write_bytes(encode_nmnist(events))
