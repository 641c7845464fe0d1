"""Run a compiled model on an emulated board without the serial agent: tests/board/semihost_main.c
reads inputs from and writes outputs and instruction counts to host files through semihosting."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tinymem.boards.board import BOARDS_DIR
from tinymem.boards.firmware import build_firmware
from tinymem.ir import np_dtype
from tinymem.sim.host import io_descriptors
from tinymem.sim.qemu import run_semihosted

HERE = Path(__file__).resolve().parent
HARNESS = [HERE / "semihost_main.c"]
INCLUDES = [BOARDS_DIR / "common" / "cortex-m"]


def build_harness(out, board: str, **kw):
    return build_firmware(out, board, emulate=True, app_sources=HARNESS, app_includes=INCLUDES, **kw)


def run_harness(out, board: str, samples: list[list[np.ndarray]], timeout: float = 120.0):
    """([outputs per sample], [instruction count per sample]) of the firmware built for `board`."""
    fw = build_harness(out, board)
    in_desc, out_desc = io_descriptors(out)
    with tempfile.TemporaryDirectory() as tmp:
        with open(Path(tmp) / "in.bin", "wb") as f:
            for xs in samples:
                for x, d in zip(xs, in_desc):
                    f.write(np.ascontiguousarray(x, dtype=np_dtype(d["dtype"])).tobytes())
        status, console = run_semihosted(fw.elf, fw.machine.name, tmp, timeout)
        assert status == 0, f"harness exited with {status}: {console}"
        raw = (Path(tmp) / "out.bin").read_bytes()
        counts = np.frombuffer((Path(tmp) / "cycles.bin").read_bytes(), "<u4").tolist()
    outputs, pos = [], 0
    for _ in samples:
        ys = []
        for d in out_desc:
            dt = np_dtype(d["dtype"])
            n = int(np.prod(d["shape"]))
            ys.append(np.frombuffer(raw, dt, count=n, offset=pos).reshape(d["shape"]))
            pos += n * dt.itemsize
        outputs.append(ys)
    assert pos == len(raw), "the firmware wrote more output than the model has"
    return outputs, counts
