"""Board definitions: the issue's numbers, schema validation, linker scripts, boot2, ELF sizes."""

from __future__ import annotations

import copy
import subprocess
import tomllib
import zlib

import pytest

from tinymem.boards.board import (BOARDS_DIR, BoardError, board_names, emulation_layout, load_board, parse_board,
                                  qemu_board)
from tinymem.boards.linker import render_linker_script
from tests.board.conftest import require_tools

K, M = 1024, 1024 * 1024

# From issue 4 (independent of the board.toml files): core, RAM regions, flash, QEMU machine.
EXPECTED = {
    "nucleo-l4r5zi": ("cortex-m4", {"sram": 640 * K}, 2 * M, "mps2-an386"),
    "stm32f746g-disco": ("cortex-m7", {"dtcm": 64 * K, "sram": 256 * K}, 1 * M, "mps2-an500"),
    "nucleo-h743zi": ("cortex-m7", {"dtcm": 128 * K, "axi_sram": 512 * K, "sram123": 288 * K, "sram4": 64 * K},
                      2 * M, "mps2-an500"),
    "nrf52840-dk": ("cortex-m4", {"ram": 256 * K}, 1 * M, "mps2-an386"),
    "rpi-pico": ("cortex-m0plus", {"sram": 264 * K}, 2 * M, "mps2-an385"),
    "mps2-an386": ("cortex-m4", {"ssram23": 4 * M}, 4 * M, "mps2-an386"),
    "mps2-an500": ("cortex-m7", {"ssram23": 4 * M}, 4 * M, "mps2-an500"),
    "mps2-an505": ("cortex-m33", {"ssram23": 4 * M}, 4 * M, "mps2-an505"),
}
METHODS = {"nucleo-l4r5zi": "stm32-uart-bootloader", "stm32f746g-disco": "stm32-uart-bootloader",
           "nucleo-h743zi": "stm32-uart-bootloader", "nrf52840-dk": "nrfjprog", "rpi-pico": "uf2"}


def test_every_board_of_the_issue_is_defined():
    assert set(EXPECTED) <= set(board_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_board_matches_the_issue(name):
    core, regions, flash, machine = EXPECTED[name]
    b = load_board(name)
    assert b.core == core
    assert {r.name: r.size for r in b.memory} == regions
    assert b.flash.size == flash
    assert b.qemu_machine == machine
    assert b.flash_method == METHODS.get(name, "qemu")
    assert b.emulated == name.startswith("mps2-")
    if not b.emulated:
        qemu_board(b)  # the machine can execute the board's code


def test_h743_regions_and_fpus():
    h7 = load_board("nucleo-h743zi")
    assert [hex(r.base) for r in h7.memory] == ["0x20000000", "0x24000000", "0x30000000", "0x38000000"]
    assert h7.default_region.name == "axi_sram"
    assert load_board("nucleo-h743zi").cpu_flags()[2:] == ["-mfpu=fpv5-d16", "-mfloat-abi=hard"]
    assert load_board("stm32f746g-disco").cpu_flags()[2:] == ["-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
    assert load_board("rpi-pico").cpu_flags() == ["-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"]
    assert load_board("nucleo-l4r5zi").dsp and not load_board("rpi-pico").dsp


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {n for n in EXPECTED if n.startswith("mps2-")}))
def test_emulation_keeps_the_real_sizes(name):
    board = load_board(name)
    machine = qemu_board(board)
    flash, ram = emulation_layout(board, machine)
    assert flash.base == machine.flash.base and flash.size == board.flash.size
    assert sorted((r.name, r.size) for r in ram) == sorted((r.name, r.size) for r in board.memory)
    window = machine.default_region
    assert all(window.base <= r.base and r.end <= window.end for r in ram)
    spans = sorted(ram, key=lambda r: r.base)
    assert all(a.end <= b.base for a, b in zip(spans, spans[1:]))
    script = render_linker_script(board, emulate=True)
    for r in ram:
        assert f"ORIGIN = 0x{r.base:08X}" in script


@pytest.mark.parametrize("name", board_names())
def test_checked_in_linker_script_is_current(name):
    board = load_board(name)
    assert (board.path / "board.ld").read_text() == render_linker_script(board), \
        f"regenerate with: python -m tinymem.boards.linker {name}"


def _data(name):
    return tomllib.loads((BOARDS_DIR / name / "board.toml").read_text())


@pytest.mark.parametrize("change, message", [
    (lambda d: d["cpu"].update(core="cortex-m85"), "core"),
    (lambda d: d["cpu"].update(fpu="fpv5-d16"), "not available on cortex-m4"),
    (lambda d: d["cpu"].update(dsp="yes"), "dsp"),
    (lambda d: d["flash"].update(method="jtag"), "method"),
    (lambda d: d["flash"].update(size="2X"), "size"),
    (lambda d: d["memory"].append({"name": "sram2", "base": 0x20010000, "size": "64K"}), "overlap"),
    (lambda d: d["memory"].append({"name": "ccm", "base": 0x10000000, "size": "64K", "default": True}), "exactly one"),
    (lambda d: d.pop("uart"), "uart"),
    (lambda d: d.update(colour="blue"), "unknown key"),
    (lambda d: d.update(schema="tinymem.board/0"), "schema"),
    (lambda d: d.update(kind="virtual"), "kind"),
    (lambda d: d["firmware"].update(stack_bytes="1M"), "stack"),
])
def test_invalid_board_toml_is_rejected(change, message):
    data = copy.deepcopy(_data("nucleo-l4r5zi"))
    change(data)
    with pytest.raises(BoardError, match=message):
        parse_board(data, BOARDS_DIR / "nucleo-l4r5zi")


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(BoardError, match="nucleo-l4r5zi"):
        load_board("arduino-uno")


def test_incompatible_qemu_machine_is_rejected():
    data = copy.deepcopy(_data("nucleo-h743zi"))
    data["qemu_machine"] = "mps2-an386"  # a Cortex-M4 cannot run Cortex-M7 double-precision code
    board = parse_board(data, BOARDS_DIR / "nucleo-h743zi")
    with pytest.raises(BoardError, match="fpv5-d16"):
        qemu_board(board)


def _crc32_mpeg2(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def test_crc_reference_is_right():
    # CRC-32/MPEG-2 check value of "123456789" (the CRC catalogue); also unlike zlib's reflected CRC.
    assert _crc32_mpeg2(b"123456789") == 0x0376E6E7
    assert zlib.crc32(b"123456789") != 0x0376E6E7


def test_rp2040_boot2_is_256_bytes_with_its_crc(tmp_path):
    require_tools("arm-none-eabi-gcc")
    obj, binary = tmp_path / "boot2.o", tmp_path / "boot2.bin"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0plus", "-mthumb", "-c", str(BOARDS_DIR / "rpi-pico" / "boot2.S"),
                    "-o", str(obj)], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".boot2", str(obj), str(binary)], check=True)
    data = binary.read_bytes()
    assert len(data) == 256
    assert int.from_bytes(data[252:], "little") == _crc32_mpeg2(data[:252])
