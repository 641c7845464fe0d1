"""Firmware builds: flash/RAM from the ELF, fit checks before linking, limits in the linker."""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pytest

from tinymem.boards.board import load_board
from tinymem.boards.elf import ram_objects
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


def test_ram_objects_match_nm(compiled):
    """ram_objects (our ELF symbol reader) against arm-none-eabi-nm: every .bss/.data variable and its size."""
    out = compiled("tflm_hello_world_int8")
    fw = build_firmware(out, "nucleo-l4r5zi")
    nm = subprocess.run(["arm-none-eabi-nm", "--print-size", str(fw.elf)], capture_output=True, text=True, check=True)
    want = {p[3]: int(p[1], 16) for p in (line.split() for line in nm.stdout.splitlines())
            if len(p) == 4 and p[2] in "bBdD"}
    got = ram_objects(fw.elf)
    assert got == want and got["tm_arena"] >= json.loads((out / "report.json").read_text())["ram"]["arena_bytes"]


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


def _app_fit_error(out, tmp_path, name: str, source: str) -> FirmwareFitError:
    """The FirmwareFitError of building OUT's model with the application main `source`."""
    main = tmp_path / name
    main.write_text(source)
    with pytest.raises(FirmwareFitError) as err:
        build_firmware(out, "nucleo-l4r5zi", emulate=True, app_sources=[main])
    return err.value


def test_linker_script_enforces_the_real_ram_limit(compiled, tmp_path):
    # 640 KB of .bss on a 640 KB board: fits the QEMU machine's 4 MB, but not the board's limits.
    err = _app_fit_error(compiled("tflm_hello_world_int8"), tmp_path, "big_main.c",
                         "#include <stdint.h>\n#include <string.h>\nstatic uint8_t big[640u * 1024u];\n"
                         "int main(void) { memset(big, 1, sizeof big); return big[100] - 1; }\n")
    b = load_board("nucleo-l4r5zi")
    assert "overflowed" in str(err) and err.region == "sram"
    assert err.shortfall >= b.stack_bytes


def test_os_build_is_smaller_than_o2(compiled):
    out = compiled("tflm_hello_world_int8")
    o2 = build_harness(out, "nucleo-l4r5zi").info["flash"]["used_bytes"]
    os_ = build_harness(out, "nucleo-l4r5zi", opt="Os").info["flash"]["used_bytes"]
    assert os_ < o2


def _su_frames(build_dir) -> dict[str, int]:
    """Frame bytes per function name from gcc's .su files (the largest of same-named statics)."""
    frames = {}
    for path in build_dir.rglob("*.su"):
        for line in path.read_text().splitlines():
            where, size, kind = line.split("\t")
            assert kind == "static", line
            name = where.rsplit(":", 1)[1]
            frames[name] = max(frames.get(name, 0), int(size))
    return frames


def _disassembly_calls(elf) -> dict[str, set[str]]:
    """Direct calls per function from arm-none-eabi-objdump: bl, and branches (tail calls) to the
    entry of another function."""
    text = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(elf)], capture_output=True,
                          text=True, check=True).stdout
    calls, current = {}, None
    for line in text.splitlines():
        head = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if head:
            current = head.group(1)
            calls[current] = set()
            continue
        branch = re.match(r"^\s+[0-9a-f]+:\s+b\S*\s+[0-9a-f]+ <([^+>]+)>$", line)
        if branch and current and branch.group(1) != current:
            calls[current].add(branch.group(1))
    return calls


def _deepest(calls: dict[str, set[str]], frames: dict[str, int], fn: str) -> int:
    return frames.get(fn, 0) + max((_deepest(calls, frames, c) for c in calls.get(fn, ())), default=0)


def test_stack_figure_matches_su_files_and_disassembly(compiled):
    # VWW's deepest kernels: in-place depthwise and pointwise convolutions, the DSP panel conv
    out = compiled("mlperf_vww_mbv1_int8", "nucleo-l4r5zi")
    fw = build_firmware(out, "nucleo-l4r5zi", emulate=True)
    assert fw.info["kernels"]["dsp"]
    report = json.loads((out / "report.json").read_text())
    stack = report["firmware"][fw.key]["stack"]
    assert stack == fw.info["stack"] and stack["unbounded"] == []
    frames = _su_frames(fw.elf.parent / "build")
    calls = _disassembly_calls(fw.elf)
    prefix = report["model"]["prefix"]
    api = [f"{prefix}_{name}" for name in ("init", "run", "reset_state", "input_ptr", "output_ptr")]
    assert stack["model_bytes"] == max(_deepest(calls, frames, f) for f in api) > 0
    assert stack["model_path"][0] == f"{prefix}_run"
    assert sum(frames[f] for f in stack["model_path"]) == stack["model_bytes"]
    assert fw.info["ram"]["model_bytes"] == report["ram"]["total_bytes"] + stack["model_bytes"]
    # the agent's frames come on top of the model's (it calls the model through its tm_model)
    assert stack["used_bytes"] > stack["model_bytes"] and stack["path"][:2] == ["Reset_Handler", "main"]
    assert stack["used_bytes"] <= stack["reserved_bytes"] == load_board("nucleo-l4r5zi").stack_bytes


def test_stack_beyond_the_reserved_stack_fails_with_the_shortfall(compiled, tmp_path):
    out = compiled("tflm_hello_world_int8")
    err = _app_fit_error(out, tmp_path, "deep_main.c",
                         "#include <stdint.h>\nint main(void)\n{\n    volatile uint8_t big[12000];\n"
                         "    for (int i = 0; i < 12000; ++i)\n        big[i] = (uint8_t)i;\n    return big[11999];\n}\n")
    su = next((out / "firmware").rglob("deep_main.c.su"))
    frames = _su_frames(next(d for d in su.parents if d.name == "build"))
    used = frames["Reset_Handler"] + frames["main"]
    assert err.region == "stack" and err.shortfall == used - load_board("nucleo-l4r5zi").stack_bytes > 0
    assert f"needs {used:,} B of stack" in str(err) and "raise [firmware] stack_bytes" in str(err)
