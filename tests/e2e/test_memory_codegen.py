"""Memory in the generated C: constants stay in flash, caller-owned I/O, board limits.

  - every weight, bias and per-channel table is read-only data: the object files of a compiled
    MLPerf model (host and Cortex-M builds) define no writable symbol but the arena and the state;
  - `--io external`: the arena holds neither input nor output, the API takes the caller's buffers;
  - a plan larger than the board's RAM fails `tinymem compile --board` with the step, the live
    tensors and the shortfall.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tflite_builder import T, build_model
from tinymem.compile import CompileOptions, compile_model

WRITABLE = set("bBdDgGsS")  # nm: .bss, .data, small data, common


def tinymem(*args):
    return subprocess.run([sys.executable, "-m", "tinymem", *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ))


def writable_symbols(out: Path, cc: str, nm: str, flags: list[str]) -> dict[str, str]:
    syms = {}
    for src in ("model.c", "weights.c"):
        obj = out / f"{src}.o"
        subprocess.run([cc, *flags, "-c", "-I", str(out), "-I", str(out / "include"), str(out / src), "-o", str(obj)],
                       check=True, capture_output=True)
        listing = subprocess.run([nm, "--defined-only", str(obj)], check=True, capture_output=True, text=True).stdout
        for line in listing.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in WRITABLE:
                syms[parts[2]] = parts[1]
    return syms


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_no_const_table_in_ram(shared, tmp_path, target):
    out = tmp_path / "kws"
    report = compile_model(shared / "models" / "mlperf_kws_dscnn_int8.tflite", out)
    assert report["flash"]["tables_bytes"] > 0
    text = (out / "weights.c").read_text() + (out / "model.c").read_text()
    tables = re.findall(r"^(?:static )?const \w+ (W\d+_\w+)\[", text, re.M)
    assert len(tables) > 10
    if target == "host":
        syms = writable_symbols(out, "cc", "nm", ["-std=c99", "-O2", "-fno-pic"])  # as on an MCU: no relocations
    else:
        if not shutil.which("arm-none-eabi-gcc"):
            pytest.skip("arm-none-eabi-gcc is not installed")
        syms = writable_symbols(out, "arm-none-eabi-gcc", "arm-none-eabi-nm",
                                ["-std=c99", "-O2", "-mcpu=cortex-m4", "-mthumb"])
    assert set(syms) <= {"tm_arena", "tm_state"}, syms


def _add_model(tmp_path: Path, side: int) -> Path:
    shape = (1, side, side, 1)
    q = dict(scale=0.1, zero_point=0)
    model = build_model([("ADD", [0, 1], [2], {})], [T(shape, "s8", **q), T(shape, "s8", **q), T(shape, "s8", **q)],
                        [0, 1], [2])
    path = tmp_path / "add.tflite"
    path.write_bytes(model)
    return path


def test_io_external_api(tmp_path):
    model = _add_model(tmp_path, 16)
    report = compile_model(model, tmp_path / "out", CompileOptions(io="external"))
    assert report["ram"]["arena_bytes"] == 0 and report["ram"]["io_external_bytes"] == 3 * 256
    header = (tmp_path / "out" / "model.h").read_text()
    assert "tm_add_set_io(const void *const *inputs, void *const *outputs)" in header
    assert "TM_ADD_IO_EXTERNAL 1" in header
    # an application of its own: static buffers, set_io, run
    app = tmp_path / "out" / "app.c"
    app.write_text("""
#include <stdio.h>
#include "model.h"
static int8_t a[256], b[256], y[256];
int main(void) {
    const void *ins[2] = {a, b};
    void *outs[1] = {y};
    if (tm_add_init() != TM_OK || tm_add_run() != TM_ERR_PARAM) return 1; /* no buffers yet */
    for (int i = 0; i < 256; ++i) { a[i] = (int8_t)(i - 128); b[i] = 1; }
    if (tm_add_run_io(ins, outs) != TM_OK) return 2;
    for (int i = 0; i < 256; ++i) if (y[i] != (int8_t)((i - 127) > 127 ? 127 : i - 127)) return 3;
    return tm_add_input_ptr(1) == (void *)b ? 0 : 4;
}
""")
    out = tmp_path / "out"
    exe = tmp_path / "app"
    kernels = sorted(str(p) for p in (out / "kernels").glob("*.c"))
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(out), "-I", str(out / "include"),
                    str(app), str(out / "model.c"), str(out / "weights.c"), *kernels, "-o", str(exe), "-lm"],
                   check=True)
    assert subprocess.run([str(exe)]).returncode == 0


def test_compile_fails_when_the_plan_exceeds_the_board_ram(tmp_path):
    model = _add_model(tmp_path, 320)  # three 102,400 B tensors live at once: 307,200 B
    r = tinymem("compile", model, "-o", tmp_path / "out", "--board", "rpi-pico")
    assert r.returncode != 0 and not (tmp_path / "out").exists()
    msg = r.stderr.replace("\n", " ")
    assert "short by 45,056 B" in msg, msg  # 307,200 - (264 KiB - 8 KiB stack)
    assert "step 0" in msg and "102,400 B" in msg
    r = tinymem("compile", model, "-o", tmp_path / "out", "--board", "rpi-pico", "--io", "external")
    assert r.returncode == 0, r.stderr
