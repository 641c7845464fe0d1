"""Firmware builds: flash/RAM from the ELF, fit checks before linking, limits in the linker."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from tinymem.boards.board import load_board
from tinymem.boards.firmware import FirmwareFitError, build_firmware
from tests.board.harness import HARNESS, INCLUDES, build_harness
from tests.tflite_builder import T, build_model

pytestmark = pytest.mark.usefixtures("arm_tools")


def _size_A(elf):
    """Section sizes and addresses from arm-none-eabi-size -A (an independent reader)."""
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines()[2:]:
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            rows[parts[0]] = (int(parts[1]), int(parts[2]))
    return rows


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "stm32f746g-disco", "nucleo-h743zi", "nrf52840-dk", "rpi-pico"])
def test_real_board_firmware_builds_and_reports_sizes(compiled, board):
    out = compiled("tflm_hello_world_int8")
    fw = build_firmware(out, board)  # the device agent
    b = load_board(board)
    report = json.loads((out / "report.json").read_text())
    info = report["firmware"][board]
    assert info == fw.info and info["board"] == board and not info["emulated"]
    sizes = _size_A(fw.elf)
    # Flash holds everything with contents (code, constants, .data's initial values).
    flash_sections = [".text", ".ARM.exidx", ".tm_zero_table", ".data"]
    assert info["flash"]["used_bytes"] == sum(sizes[s][0] for s in flash_sections if s in sizes)
    assert info["flash"]["used_bytes"] >= report["flash"]["total_bytes"]  # weights are in there
    default = next(r for r in info["regions"] if r["default"])
    assert default["used_bytes"] == sum(sizes[s][0] for s in (".stack", ".data", ".bss") if s in sizes)
    assert default["used_bytes"] >= report["ram"]["total_bytes"] + b.stack_bytes
    assert info["flash"]["limit_bytes"] == b.flash.size and sizes[".text"][1] == b.flash.base
    assert info["ram"]["limit_bytes"] == b.ram_bytes
    assert (fw.elf.parent / "firmware.bin").stat().st_size > 0
    if board == "rpi-pico":
        uf2 = (out / info["uf2"]).read_bytes()
        assert len(uf2) % 512 == 0 and uf2[:4] == (0x0A324655).to_bytes(4, "little")
        assert int.from_bytes(uf2[12:16], "little") == 0x10000000  # first block: boot2 at the flash base


def _write_model(path, ops, tensors, inputs, outputs):
    path.write_bytes(build_model(ops, tensors, inputs, outputs))
    return path


def _big_flash_model(tmp_path):
    # FullyConnected 1152 -> 1024: 1,179,648 weight bytes, more than a 1 MB flash.
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, size=(1024, 1152), dtype=np.int8)
    tensors = [T((1, 1152), "s8", scale=0.1, zero_point=0), T((1024, 1152), "s8", scale=0.01, zero_point=0, data=w),
               T((1, 1024), "s8", scale=0.5, zero_point=0)]
    return _write_model(tmp_path / "big_flash.tflite", [("FULLY_CONNECTED", [0, 1, -1], [2], {})], tensors, [0], [2])


def _big_ram_model(tmp_path):
    # ADD of two 1x256x256x3 int8 tensors: both inputs live at once, 393,216 B > 264 KB.
    q = dict(scale=0.1, zero_point=0)
    tensors = [T((1, 256, 256, 3), "s8", **q), T((1, 256, 256, 3), "s8", **q), T((1, 256, 256, 3), "s8", **q)]
    return _write_model(tmp_path / "big_ram.tflite", [("ADD", [0, 1], [2], {})], tensors, [0, 1], [2])


@pytest.mark.parametrize("kind, board, region", [("flash", "stm32f746g-disco", "flash"),
                                                 ("ram", "rpi-pico", "sram")])
def test_model_too_big_fails_before_compiling_with_the_shortfall(tmp_path, kind, board, region):
    from tinymem.compile import compile_model

    model = (_big_flash_model if kind == "flash" else _big_ram_model)(tmp_path)
    out = tmp_path / "out"
    report = compile_model(model, out)
    b = load_board(board)
    if kind == "flash":
        expected = report["flash"]["total_bytes"] - b.flash.size
    else:
        expected = report["ram"]["total_bytes"] + b.stack_bytes - b.default_region.size
    assert expected > 0
    with pytest.raises(FirmwareFitError) as err:
        build_firmware(out, board, app_sources=HARNESS, app_includes=INCLUDES)
    assert err.value.shortfall == expected and err.value.region == region
    assert f"short by {expected:,} B" in str(err.value)
    assert not (out / "firmware").exists(), "nothing may be compiled for a model that cannot fit"
    with pytest.raises(FirmwareFitError):  # the emulated build has the same limits
        build_firmware(out, board, emulate=True, app_sources=HARNESS, app_includes=INCLUDES)


def test_linker_script_enforces_the_real_ram_limit(compiled, tmp_path):
    # 640 KB of .bss on a 640 KB board: fits the QEMU machine's 4 MB, but not the board's limits.
    out = compiled("tflm_hello_world_int8")
    main = tmp_path / "big_main.c"
    main.write_text("#include <stdint.h>\n#include <string.h>\nstatic uint8_t big[640u * 1024u];\n"
                    "int main(void) { memset(big, 1, sizeof big); return big[100] - 1; }\n")
    with pytest.raises(FirmwareFitError, match="overflowed") as err:
        build_firmware(out, "nucleo-l4r5zi", emulate=True, app_sources=[main])
    b = load_board("nucleo-l4r5zi")
    assert err.value.region == "sram"
    assert err.value.shortfall >= b.stack_bytes


def test_os_build_is_smaller_than_o2(compiled):
    out = compiled("tflm_hello_world_int8")
    o2 = build_harness(out, "nucleo-l4r5zi").info["flash"]["used_bytes"]
    os_ = build_harness(out, "nucleo-l4r5zi", opt="Os").info["flash"]["used_bytes"]
    assert os_ < o2
