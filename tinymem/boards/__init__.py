"""Cortex-M boards: board.toml definitions (boards/<name>/), firmware builds, ELF sizes, stack depth.

    load_board(name)                    -> Board (validated board.toml)
    build_firmware(out, board, ...)     -> Firmware (ELF + report.json["firmware"][key])
    render_linker_script(board, ...)    -> the board's linker script (real or QEMU addresses)
    firmware_stack(build_dir, out)      -> the deepest stack of a firmware build (gcc call graphs)

The porting guide is docs/boards.md.
"""

from tinymem.boards.board import Board, BoardError, Region, board_names, load_board
from tinymem.boards.firmware import Firmware, FirmwareFitError, build_firmware, firmware_image
from tinymem.boards.linker import render_linker_script
from tinymem.boards.stack import firmware_stack

__all__ = ["Board", "BoardError", "Region", "board_names", "load_board", "Firmware", "FirmwareFitError",
           "build_firmware", "firmware_image", "firmware_stack", "render_linker_script"]
