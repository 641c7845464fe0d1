"""`write_uf2`: an ELF's loadable contents as a UF2 file (drag-and-drop flashing, e.g. RP2040).

UF2 (Microsoft's USB Flashing Format): 512-byte blocks, each carrying 256 bytes for one flash
address, with the family ID of the chip (RP2040: 0xE48BFF56) so a bootloader rejects images
for another part.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tinymem.boards.board import Region
from tinymem.boards.elf import read_sections

MAGIC_START0, MAGIC_START1, MAGIC_END = 0x0A324655, 0x9E5D5157, 0x0AB16F30
FLAG_FAMILY_ID = 0x00002000
FAMILY_RP2040 = 0xE48BFF56
PAYLOAD = 256


def flash_image(elf: str | Path, flash: Region) -> tuple[int, bytes]:
    """(base address, bytes) of everything loaded into `flash`, gaps filled with 0xFF."""
    data = Path(elf).read_bytes()
    chunks = []
    for s in read_sections(elf):
        if s.has_contents and flash.base <= s.lma < flash.end:
            chunks.append((s.lma, s))
    if not chunks:
        return flash.base, b""
    # Section contents come from the file: find each section's file offset via its header.
    offsets = _section_offsets(data)
    start = min(a for a, _ in chunks)
    end = max(a + s.size for a, s in chunks)
    image = bytearray(b"\xff" * (end - start))
    for addr, s in chunks:
        off = offsets[(s.name, s.vma)]
        image[addr - start:addr - start + s.size] = data[off:off + s.size]
    return start, bytes(image)


def _section_offsets(data: bytes) -> dict:
    (shoff,) = struct.unpack_from("<I", data, 32)
    (shentsize, shnum, shstrndx) = struct.unpack_from("<HHH", data, 46)
    headers = [struct.unpack_from("<IIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx][4]
    out = {}
    for name_off, _, _, addr, offset, _ in headers:
        name = data[strtab + name_off:data.index(b"\0", strtab + name_off)].decode()
        out[(name, addr)] = offset
    return out


def write_uf2(elf: str | Path, path: str | Path, flash: Region, family: int = FAMILY_RP2040) -> None:
    base, image = flash_image(elf, flash)
    blocks = [image[i:i + PAYLOAD] for i in range(0, len(image), PAYLOAD)]
    out = bytearray()
    for n, chunk in enumerate(blocks):
        payload = chunk.ljust(PAYLOAD, b"\xff").ljust(476, b"\0")
        out += struct.pack("<IIIIIIII", MAGIC_START0, MAGIC_START1, FLAG_FAMILY_ID, base + n * PAYLOAD,
                           PAYLOAD, n, len(blocks), family) + payload + struct.pack("<I", MAGIC_END)
    Path(path).write_bytes(bytes(out))
