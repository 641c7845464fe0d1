"""`elf_usage`: flash and RAM a linked firmware uses, per memory region, read from its ELF file.

A small ELF32 little-endian reader (section and program headers only): no dependency on
arm-none-eabi-size. A section counts in the region holding its run address (VMA); a section with
contents whose load address (LMA) differs, such as .data, also counts in the region it is loaded
from (flash).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinymem.boards.board import Region
from tinymem.errors import TinymemError

SHF_ALLOC = 0x2
SHT_NOBITS = 8
PT_LOAD = 1


@dataclass(frozen=True)
class Section:
    name: str
    vma: int
    lma: int
    size: int
    has_contents: bool


def read_sections(path: str | Path) -> list[Section]:
    """Allocated sections of an ELF32 little-endian file, with their load addresses."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise TinymemError(f"{path}: not an ELF32 little-endian file")
    (phoff, shoff) = struct.unpack_from("<II", data, 28)
    (phentsize, phnum, shentsize, shnum, shstrndx) = struct.unpack_from("<HHHHH", data, 42)
    segments = []
    for i in range(phnum):
        p_type, _, vaddr, paddr, _, memsz = struct.unpack_from("<IIIIII", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            segments.append((vaddr, paddr, memsz))
    headers = [struct.unpack_from("<IIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = headers[shstrndx][4]

    def name(off: int) -> str:
        end = data.index(b"\0", strtab_off + off)
        return data[strtab_off + off:end].decode()

    out = []
    for sh_name, sh_type, flags, addr, _, size in headers:
        if not flags & SHF_ALLOC or size == 0:
            continue
        lma = addr
        for vaddr, paddr, memsz in segments:
            if vaddr <= addr < vaddr + max(memsz, 1):
                lma = paddr + (addr - vaddr)
                break
        out.append(Section(name(sh_name), addr, lma, size, sh_type != SHT_NOBITS))
    return out


def elf_usage(path: str | Path, regions: list[Region]) -> dict:
    """{"regions": {name: used bytes}, "sections": {name: bytes}} for the given memory regions."""
    sections = read_sections(path)
    used = {r.name: 0 for r in regions}

    def region_of(addr: int) -> str | None:
        return next((r.name for r in regions if r.base <= addr < r.end), None)

    for s in sections:
        where = region_of(s.vma)
        if where is not None:
            used[where] += s.size
        load = region_of(s.lma)
        if s.has_contents and s.lma != s.vma and load is not None and load != where:
            used[load] += s.size
    return {"regions": used, "sections": {s.name: s.size for s in sections}}
