"""Models on emulated boards: outputs bit-identical to the host simulator, exact instruction counts,
the UART as a TCP serial port, and QEMU processes that never outlive their runner."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from tinymem.boards.firmware import build_firmware
from tinymem.sim.datasets import load_dataset
from tinymem.sim.host import io_descriptors, run_host
from tinymem.sim.qemu import Qemu, QemuError, live_processes, run_semihosted
from tests.board.harness import HERE, INCLUDES, run_harness

pytestmark = pytest.mark.usefixtures("arm_tools")


def _samples(out, shared, folder: str | None, n: int, seed: int = 0) -> list[list[np.ndarray]]:
    in_desc, _ = io_descriptors(out)
    if folder is not None:
        samples = [xs for _, xs, _ in load_dataset(shared / "data" / "mlperf" / folder, in_desc, limit=n)]
        assert len(samples) == n
        return samples
    rng = np.random.default_rng(seed)
    return [[rng.integers(-128, 128, size=d["shape"], dtype=np.int8) for d in in_desc] for _ in range(n)]


def _check_bit_exact(out, samples, board):
    outputs, counts = run_harness(out, board, samples)
    assert len(outputs) == len(samples)
    for i, (xs, ys) in enumerate(zip(samples, outputs)):
        want = run_host(out, xs)
        for y, w in zip(ys, want):
            assert y.dtype == w.dtype and np.array_equal(y, w), f"sample {i} differs from the host simulator"
    return counts


# Through the semihosting harness (no serial link); test_agent.py runs models through the agent.
def test_ic_on_l4r5zi_limits_under_mps2_an386_matches_host(compiled, shared):
    out = compiled("mlperf_ic_resnet8_int8")
    counts = _check_bit_exact(out, _samples(out, shared, "ic01", 8), "nucleo-l4r5zi")
    macs = json.loads((out / "report.json").read_text())["macs"]
    assert all(c >= macs // 4 for c in counts), "fewer instructions than MACs/4 cannot be right"


@pytest.mark.parametrize("board", ["stm32f746g-disco", "rpi-pico"])
def test_ic_on_m7_single_precision_and_m0plus(compiled, shared, board):
    # stm32f746g-disco: fpv5-sp-d16 code on mps2-an500; rpi-pico: ARMv6-M code on mps2-an385.
    out = compiled("mlperf_ic_resnet8_int8")
    _check_bit_exact(out, _samples(out, shared, "ic01", 4), board)


def test_instruction_counts_are_deterministic(compiled, shared):
    out = compiled("mlperf_ic_resnet8_int8")
    samples = _samples(out, shared, "ic01", 3)
    _, first = run_harness(out, "nucleo-l4r5zi", samples + samples)
    assert first[:3] == first[3:], "the same input must take the same number of instructions"
    _, again = run_harness(out, "nucleo-l4r5zi", samples)
    assert again == first[:3], "counts must not depend on the run (host load, timing)"


def _build_app(out, board, source, *defines):
    return build_firmware(out, board, emulate=True, app_sources=[HERE / source], app_includes=INCLUDES,
                          defines=list(defines))


@pytest.mark.parametrize("board", ["mps2-an386", "mps2-an500", "mps2-an505", "rpi-pico"])
def test_instruction_counter_is_exact(compiled, board):
    fw = _build_app(compiled("tflm_hello_world_int8"), board, "count_main.c")
    with tempfile.TemporaryDirectory() as tmp:
        status, console = run_semihosted(fw.elf, fw.machine.name, tmp, 60)
        assert status == 0, console
        counts = np.frombuffer((Path(tmp) / "counts.bin").read_bytes(), "<u4").reshape(-1, 2)
    iters = np.array([1, 2, 100, 1000, 1000000, 3000000])
    # Each column is one call site: a fixed overhead (the calls, reading the timer) plus 2 per iteration.
    for col in counts.T:
        overhead = int(col[0]) - 2
        assert 0 < overhead < 100
        assert (col == 2 * iters + overhead).all(), f"counts {col.tolist()} for {iters.tolist()} iterations"


def test_uart_is_a_tcp_serial_port_for_pyserial(compiled):
    fw = _build_app(compiled("tflm_hello_world_int8"), "nucleo-l4r5zi", "echo_main.c")
    payload = bytes(range(1, 256)) * 4
    with Qemu(fw.elf, fw.machine.name) as q:
        link = serial.serial_for_url(q.serial_url, timeout=10)
        try:
            link.write(payload)
            got = b""
            while len(got) < len(payload):
                chunk = link.read(len(payload) - len(got))
                assert chunk, f"echo stalled after {len(got)} bytes"
                got += chunk
            assert got == payload
            link.write(b"\0")
            assert q.wait(10) == 0, "the firmware's semihosting exit status reaches the host"
        finally:
            link.close()
    assert not q.running()


def test_runner_kills_firmware_that_never_stops(compiled):
    fw = _build_app(compiled("tflm_hello_world_int8"), "mps2-an386", "misc_main.c")
    q = Qemu(fw.elf, fw.machine.name, serial=False)
    with q:
        with pytest.raises(QemuError, match="did not finish"):
            q.wait(1.0)
        assert not q.running()
    with pytest.raises(RuntimeError, match="boom"):
        with Qemu(fw.elf, fw.machine.name) as q2:
            pid = q2.proc.pid
            assert pid in live_processes()
            raise RuntimeError("boom")
    assert not q2.running() and pid not in live_processes()


def test_cpu_fault_is_reported(compiled):
    fw = _build_app(compiled("tflm_hello_world_int8"), "mps2-an386", "misc_main.c", "TM_MISC_FAULT")
    with Qemu(fw.elf, fw.machine.name, serial=False) as q:
        status = q.wait(20)
        with pytest.raises(QemuError, match="CPU fault"):
            q.check_exit(status)
        assert "CPU fault" in q.output()


def test_no_qemu_left_behind():
    deadline = time.monotonic() + 5
    while live_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_processes() == []
    assert os.path.exists("/proc"), "leftover detection reads /proc"
