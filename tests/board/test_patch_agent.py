"""Patch-based models (docs/patch.md) built for nucleo-l4r5zi (DSP kernels) on QEMU mps2-an386
through the device agent: outputs bit-identical to the host simulator and to the layer-by-layer
build, in less firmware RAM. With --stream-input the agent fetches every input window from the
host during RUN (INPUT_FETCH, docs/serial-protocol.md), so no RAM object of the firmware can hold
the whole input; a link cut during the fetches (tests/serial/fault_proxy.py between the client
and QEMU's serial socket) gives a clear error and no hang.

QEMU's UART moves about 5 KB/s and a VWW input is 27 KB: two or three inputs per model.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from tests.board.test_agent import _run_and_compare
from tests.board.test_qemu import _samples
from tests.serial.conftest import bounded
from tests.serial.fault_proxy import FaultProxy, Faults
from tinymem.boards.elf import ram_objects
from tinymem.boards.firmware import build_firmware
from tinymem.serial.client import DeviceClient, DeviceError, DeviceErrorResponse
from tinymem.sim.host import run_host
from tinymem.sim.qemu import Qemu

pytestmark = pytest.mark.usefixtures("arm_tools")

BOARD = "nucleo-l4r5zi"


def _report(out) -> dict:
    return json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("model, data, n", [("mlperf_vww_mbv1_int8", "vww01", 2), ("mlperf_ic_resnet8_int8", "ic01", 3)])
def test_patched_model_through_the_agent(compiled, shared, model, data, n):
    layers, patched = compiled(model, BOARD), compiled(model, BOARD, patch="auto")
    assert _report(patched)["patch"]["plan"] is not None, "--patch auto found no plan"
    samples = _samples(layers, shared, data, n)
    plain = _run_and_compare(layers, BOARD, samples, emulate=True)
    result = _run_and_compare(patched, BOARD, samples, emulate=True)
    for y, w in zip(result.outputs, plain.outputs):
        assert np.array_equal(y, w), "the patched build differs from the layer-by-layer build"
    assert result.firmware.info["kernels"]["dsp"]
    assert result.firmware.info["ram"]["used_bytes"] < plain.firmware.info["ram"]["used_bytes"]
    assert min(result.counts) >= _report(patched)["macs"] // 4, "fewer instructions than MACs/4 cannot be right"


def test_streamed_vww_fetches_its_input_from_the_host(compiled, shared):
    model = "mlperf_vww_mbv1_int8"
    out = compiled(model, BOARD, patch="auto", stream_input=True)
    samples = _samples(out, shared, "vww01", 2)
    result = _run_and_compare(out, BOARD, samples, emulate=True)
    for i, xs in enumerate(samples):
        for y, w in zip(result.outputs, run_host(compiled(model), xs)):
            assert np.array_equal(y[i], w), f"input {i}: the streamed build differs from the layer-by-layer build"
    input_bytes = _report(out)["inputs"][0]["bytes"]
    name, size = max(ram_objects(result.firmware.elf).items(), key=lambda kv: kv[1])
    assert size < input_bytes, f"{name} ({size} B) could hold the {input_bytes}-byte input"
    assert min(result.counts) >= _report(out)["macs"] // 4, "fewer instructions than MACs/4 cannot be right"


def test_streamed_vww_survives_a_link_cut_while_fetching(compiled, shared):
    """Three windows pass, then the link stays down: the client raises a DeviceError (not a wrong
    answer) within its retries; the firmware gives the RUN up after its own and, the link back,
    serves a new session that runs correctly."""
    out = compiled("mlperf_vww_mbv1_int8", BOARD, patch="auto", stream_input=True)
    xs = _samples(out, shared, "vww01", 1)[0]
    fw = build_firmware(out, BOARD, emulate=True)
    with Qemu(fw.elf, fw.machine.name) as q, socket.create_connection(("127.0.0.1", q.port)) as link:
        with FaultProxy(link.fileno(), link.fileno()) as proxy:
            with DeviceClient(proxy.url, timeout=2.0, retries=2, run_timeout=5.0) as dev:
                dev.check_model(out)
                proxy.faults = Faults(directions=("a2c",), cut_after=3)
                box = bounded(lambda: dev.run(xs), 120)
                assert isinstance(box.get("error"), DeviceError), box
                assert not isinstance(box["error"], DeviceErrorResponse) and dev.stats.fetches == 3
            proxy.faults = Faults.none()
            with DeviceClient(proxy.url, timeout=3.0, retries=10, run_timeout=120.0) as dev:
                got, _ = bounded(lambda: dev.run(xs), 300)["value"]
                assert dev.info(refresh=True).run_count == 1
    for y, w in zip(got, run_host(out, xs)):
        assert np.array_equal(y, w)
