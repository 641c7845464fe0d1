"""`elf_usage`: flash and RAM a linked firmware uses, per memory region, read from its ELF file;
`ram_objects`: the size of each variable it places in RAM.

A small ELF32 little-endian reader (section and program headers, the symbol table): no dependency
on arm-none-eabi-size or -nm. A section counts in the region holding its run address (VMA); a section with
contents whose load address (LMA) differs, such as .data, also counts in the region it is loaded
from (flash).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinymem.boards.board import Region
from tinymem.errors import TinymemError

SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHT_SYMTAB = 2
SHT_NOBITS = 8
STT_OBJECT = 1
PT_LOAD = 1


@dataclass(frozen=True)
class Section:
    name: str
    vma: int
    lma: int
    size: int
    has_contents: bool


def _read(path: str | Path) -> tuple[bytes, list[tuple[int, ...]]]:
    """The file's bytes and its section headers (name, type, flags, addr, offset, size, link, info)."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise TinymemError(f"{path}: not an ELF32 little-endian file")
    shoff = struct.unpack_from("<I", data, 32)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 46)
    return data, [struct.unpack_from("<IIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]


def _string(data: bytes, table_offset: int, off: int) -> str:
    end = data.index(b"\0", table_offset + off)
    return data[table_offset + off:end].decode()


def read_sections(path: str | Path) -> list[Section]:
    """Allocated sections of an ELF32 little-endian file, with their load addresses."""
    data, headers = _read(path)
    phoff = struct.unpack_from("<I", data, 28)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    shstrndx = struct.unpack_from("<H", data, 50)[0]
    segments = []
    for i in range(phnum):
        p_type, _, vaddr, paddr, _, memsz = struct.unpack_from("<IIIIII", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            segments.append((vaddr, paddr, memsz))
    strtab_off = headers[shstrndx][4]
    out = []
    for sh_name, sh_type, flags, addr, _, size, _, _ in headers:
        if not flags & SHF_ALLOC or size == 0:
            continue
        lma = addr
        for vaddr, paddr, memsz in segments:
            if vaddr <= addr < vaddr + max(memsz, 1):
                lma = paddr + (addr - vaddr)
                break
        out.append(Section(_string(data, strtab_off, sh_name), addr, lma, size, sh_type != SHT_NOBITS))
    return out


def ram_objects(path: str | Path) -> dict[str, int]:
    """Size in bytes of every variable (object symbol) in a writable allocated section (.data,
    .bss, ...), by symbol name: what the firmware keeps in RAM, buffer by buffer."""
    data, headers = _read(path)
    out: dict[str, int] = {}
    for _, sh_type, _, _, offset, size, link, _ in headers:
        if sh_type != SHT_SYMTAB:
            continue
        names = headers[link][4]
        for pos in range(offset, offset + size, 16):
            st_name, _, st_size, st_info, _, st_shndx = struct.unpack_from("<IIIBBH", data, pos)
            if st_info & 0xF != STT_OBJECT or not 0 < st_shndx < len(headers):
                continue
            flags = headers[st_shndx][2]
            if flags & SHF_ALLOC and flags & SHF_WRITE:
                out[_string(data, names, st_name)] = st_size
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
