"""KWS and VWW (MLPerf Tiny int8), built for nucleo-l4r5zi's limits, on QEMU mps2-an386 through the
device agent and the serial protocol, on 20 dataset inputs each: outputs bit-identical to the host
simulator. (AD and IC: test_agent.py.) nucleo-l4r5zi has the DSP extension, so this firmware
runs the runtime_c/kernels_arm kernels.

QEMU's CMSDK UART moves about 5 KB/s from the host and a VWW input is 27 KB, so the 20 VWW inputs
are shared among several QEMU instances running side by side (the transfer waits on QEMU's event
loop rather than the CPU): the same firmware, each instance its own serial link.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from tests.board.test_agent import _run_and_compare
from tests.board.test_qemu import _samples
from tinymem.boards.firmware import build_firmware
from tinymem.serial.client import DeviceClient
from tinymem.sim.host import run_host
from tinymem.sim.qemu import Qemu, live_processes

pytestmark = pytest.mark.usefixtures("arm_tools")

BOARD = "nucleo-l4r5zi"
INPUTS = 20
VWW_INSTANCES = 2  # QEMUs sharing the VWW inputs (one per core of a 2-core CI machine)


def _macs(out) -> int:
    return json.loads((out / "report.json").read_text())["macs"]


def test_kws_through_the_agent(compiled, shared):
    out = compiled("mlperf_kws_dscnn_int8", BOARD)
    result = _run_and_compare(out, BOARD, _samples(out, shared, "kws01", INPUTS), emulate=True)
    assert result.firmware.info["kernels"]["dsp"]
    assert "tm_conv2d_s8" in result.firmware.info["kernels"]["arm"]
    assert max(result.counts) < 3 * _macs(out), "KWS should take under 3 instructions per MAC"


def test_vww_through_the_agent(compiled, shared):
    out = compiled("mlperf_vww_mbv1_int8", BOARD)
    samples = _samples(out, shared, "vww01", INPUTS)
    fw = build_firmware(out, BOARD, emulate=True)
    assert fw.info["runs_on"] == "mps2-an386" and fw.info["kernels"]["dsp"]
    results: dict[int, tuple[list[np.ndarray], int]] = {}
    errors: list[BaseException] = []

    def serve(share: list[int]) -> None:
        try:
            with Qemu(fw.elf, fw.machine.name) as q:
                # a 4 KiB INPUT_WRITE takes about 1 s; a loaded host may take several: no retransmits
                with DeviceClient(q.serial_url, timeout=30.0, run_timeout=120.0) as client:
                    client.check_model(out)
                    for i in share:
                        results[i] = client.run(samples[i])
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    shares = [list(range(k, INPUTS, VWW_INSTANCES)) for k in range(VWW_INSTANCES)]
    threads = [threading.Thread(target=serve, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    assert sorted(results) == list(range(INPUTS))
    counts = {c for _, c in results.values()}
    for i, xs in enumerate(samples):
        got, _ = results[i]
        for y, w in zip(got, run_host(out, xs)):
            assert np.array_equal(y, w), f"VWW input {i} differs from the host simulator"
    assert max(counts) < 3 * _macs(out), "VWW should take under 3 instructions per MAC"
    assert live_processes() == []
