"""Firmware images for flashing: load ELF / Intel HEX / raw binaries into address ranges, and
write Intel HEX (nrfjprog) and UF2 (RP2040 boot drive) files.

An image is a list of `Segment`s (load address, bytes), sorted and merged where they touch.
For ELF files the load address is each PT_LOAD segment's physical address (its LMA: .data's
initial values live in flash behind .text).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinymem.errors import InputError


@dataclass
class Segment:
    address: int
    data: bytes

    @property
    def end(self) -> int:
        return self.address + len(self.data)


def merge(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s in sorted((s for s in segments if s.data), key=lambda s: s.address):
        if out and s.address < out[-1].end:
            raise InputError(f"image segments overlap at 0x{s.address:08x}")
        if out and s.address == out[-1].end:
            out[-1] = Segment(out[-1].address, out[-1].data + s.data)
        else:
            out.append(Segment(s.address, bytes(s.data)))
    return out


def load_elf(data: bytes, name: str = "ELF") -> list[Segment]:
    if data[:4] != b"\x7fELF":
        raise InputError(f"{name} is not an ELF file")
    if data[4] != 1 or data[5] != 1:
        raise InputError(f"{name}: only 32-bit little-endian ELF (ARM) is supported")
    e_phoff, = struct.unpack_from("<I", data, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 42)
    segs = []
    for i in range(e_phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack_from("<IIIII", data, e_phoff + i * e_phentsize)
        if p_type == 1 and p_filesz > 0:  # PT_LOAD with bytes in the file
            if p_offset + p_filesz > len(data):
                raise InputError(f"{name} is truncated (segment {i} runs past the end)")
            segs.append(Segment(p_paddr, data[p_offset:p_offset + p_filesz]))
    if not segs:
        raise InputError(f"{name} has no loadable segments")
    return merge(segs)


def load_hex(text: str, name: str = "HEX") -> list[Segment]:
    base, segs, cur_addr, cur = 0, [], None, bytearray()
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if not line.startswith(":"):
            raise InputError(f"{name}:{lineno}: not an Intel HEX record")
        try:
            rec = bytes.fromhex(line[1:])
        except ValueError:
            raise InputError(f"{name}:{lineno}: bad hex digits") from None
        if len(rec) < 5 or len(rec) != rec[0] + 5 or sum(rec) & 0xFF:
            raise InputError(f"{name}:{lineno}: bad record length or checksum")
        n, addr, kind, payload = rec[0], (rec[1] << 8) | rec[2], rec[3], rec[4:4 + rec[0]]
        if kind == 0:
            a = base + addr
            if cur_addr is not None and a == cur_addr + len(cur):
                cur += payload
            else:
                if cur_addr is not None:
                    segs.append(Segment(cur_addr, bytes(cur)))
                cur_addr, cur = a, bytearray(payload)
        elif kind == 1:
            break
        elif kind == 2 and n == 2:
            base = int.from_bytes(payload, "big") << 4
        elif kind == 4 and n == 2:
            base = int.from_bytes(payload, "big") << 16
        elif kind in (3, 5):
            pass  # start address records
        else:
            raise InputError(f"{name}:{lineno}: unsupported record type {kind}")
    if cur_addr is not None:
        segs.append(Segment(cur_addr, bytes(cur)))
    if not segs:
        raise InputError(f"{name} holds no data")
    return merge(segs)


def load_image(path: str | Path, base: int) -> list[Segment]:
    """ELF, Intel HEX (.hex/.ihex) or raw binary (placed at `base`), by content then suffix."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] == b"\x7fELF":
        return load_elf(data, path.name)
    if path.suffix.lower() in (".hex", ".ihex"):
        return load_hex(data.decode("ascii", "replace"), path.name)
    if path.suffix.lower() == ".uf2":
        raise InputError(f"{path.name}: give the ELF or .bin, not a UF2 file")
    if not data:
        raise InputError(f"{path.name} is empty")
    return [Segment(base, data)]


def write_hex(segments: list[Segment]) -> str:
    lines, upper = [], None

    def rec(kind: int, addr: int, payload: bytes) -> str:
        body = bytes([len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind]) + payload
        return ":" + (body + bytes([-sum(body) & 0xFF])).hex().upper()

    for s in segments:
        for off in range(0, len(s.data), 16):
            a = s.address + off
            if a >> 16 != upper:
                upper = a >> 16
                lines.append(rec(4, 0, upper.to_bytes(2, "big")))
            lines.append(rec(0, a & 0xFFFF, s.data[off:off + 16]))
    lines.append(":00000001FF")
    return "\n".join(lines) + "\n"


UF2_MAGIC = (0x0A324655, 0x9E5D5157, 0x0AB16F30)
UF2_FLAG_FAMILY = 0x00002000


def write_uf2(segments: list[Segment], family_id: int) -> bytes:
    """UF2 (Microsoft's USB flashing format): 256 payload bytes per 512-byte block."""
    chunks = []
    for s in segments:
        start = s.address & ~0xFF
        data = b"\xff" * (s.address - start) + s.data
        for off in range(0, len(data), 256):
            chunks.append((start + off, data[off:off + 256].ljust(256, b"\x00")))
    out = bytearray()
    for i, (addr, payload) in enumerate(chunks):
        head = struct.pack("<IIIIIIII", UF2_MAGIC[0], UF2_MAGIC[1], UF2_FLAG_FAMILY, addr, 256, i, len(chunks), family_id)
        out += head + payload + b"\x00" * (476 - 256) + struct.pack("<I", UF2_MAGIC[2])
    return bytes(out)
