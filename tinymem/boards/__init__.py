"""Cortex-M boards: board.toml definitions (boards/<name>/), firmware builds, ELF sizes.

    load_board(name)                    -> Board (validated board.toml)
    build_firmware(out, board, ...)     -> Firmware (ELF + report.json["firmware"][key])
    render_linker_script(board, ...)    -> the board's linker script (real or QEMU addresses)

The porting guide is docs/boards.md.
"""

from tinymem.boards.board import Board, BoardError, Region, board_names, load_board
from tinymem.boards.firmware import Firmware, FirmwareFitError, build_firmware, firmware_image
from tinymem.boards.linker import render_linker_script

__all__ = ["Board", "BoardError", "Region", "board_names", "load_board", "Firmware", "FirmwareFitError",
           "build_firmware", "firmware_image", "render_linker_script"]
