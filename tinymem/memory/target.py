"""`memory_target`: the alignment and RAM budget the memory plan must respect on a board.

  alignment  every buffer offset in the arena (and the arena itself) is a multiple of it:
             `--alignment N` when given, else `arena_alignment` in the board's [firmware] table
             of boards/<name>/board.toml, else 16 bytes (TM_ALIGN: enough for any C type and for
             the widest Cortex-M loads; Cortex-M7 boards use 32, their data cache line).
  capacity   RAM left for the model (arena + persistent state) in the board's default region,
             which holds .bss: its size less the main stack. `host` has no limit.
  kernels    the C kernel set the board's firmware compiles: "dsp" when the board has the DSP
             extension ([cpu] dsp: runtime_c/kernels_arm variants, whose working buffers are
             planned as scratch), else "portable" (also `host`). The plan's scratch sizes are
             those of this set; `tinymem build` uses the DSP kernels only for a plan made for them.
The linker still enforces the real limits of a firmware build (docs/boards.md).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from tinymem.errors import TinymemError

DEFAULT_ALIGNMENT = 16


@dataclass(frozen=True)
class MemoryTarget:
    board: str
    alignment: int
    capacity: int | None  # bytes for arena + state; None: no limit (host)
    region: str = "RAM"  # what the capacity is of, for messages
    detail: str = ""  # where the capacity comes from, for messages
    kernels: str = "portable"  # the kernel set the scratch is planned for: "portable" or "dsp"


def _check_alignment(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value & (value - 1):
        raise TinymemError(f"{where}: alignment must be a power of two, got {value!r}")
    return value


def memory_target(board: str = "host", alignment: int | None = None) -> MemoryTarget:
    if alignment is not None:
        _check_alignment(alignment, "--alignment")
    if board == "host":
        return MemoryTarget("host", alignment or DEFAULT_ALIGNMENT, None, "RAM")
    from tinymem.boards.board import load_board

    b = load_board(board)
    if alignment is None:
        data = tomllib.loads((b.path / "board.toml").read_text())
        value = data.get("firmware", {}).get("arena_alignment", DEFAULT_ALIGNMENT)
        alignment = _check_alignment(value, f"{b.path / 'board.toml'} [firmware].arena_alignment")
    region = b.default_region
    return MemoryTarget(b.name, alignment, region.size - b.stack_bytes, "RAM",
                        f"{b.name}'s {region.name}: {region.size:,} B less the {b.stack_bytes:,} B stack",
                        "dsp" if b.dsp else "portable")
