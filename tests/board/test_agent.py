"""The device agent on emulated boards: `run_on_board` builds the firmware (model + agent + port),
starts QEMU with the UART on a TCP port, runs inputs through the serial protocol
(tinymem.serial.DeviceClient over socket://) and stops QEMU. Outputs must equal the host
simulator's bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinymem.boards.board import load_board
from tinymem.boards.cli import run_on_board
from tinymem.errors import InputError
from tinymem.sim.host import run_host
from tinymem.sim.qemu import live_processes
from tests.board.test_qemu import _samples

pytestmark = pytest.mark.usefixtures("arm_tools")


def _run_and_compare(out, board, samples, **kw):
    stacked = [np.stack([s[i] for s in samples]) for i in range(len(samples[0]))]
    result = run_on_board(out, board, stacked, steps=len(samples), **kw)
    assert result.unit == "instructions" and len(result.counts) == len(samples)
    for i, xs in enumerate(samples):
        want = run_host(out, xs)
        for y, w in zip(result.outputs, want):
            assert np.array_equal(y[i], w), f"sample {i} differs from the host simulator on {board}"
    assert live_processes() == []
    return result


@pytest.mark.parametrize("model, data", [
    ("tflm_hello_world_int8", None),
    ("mlperf_ad_autoenc_int8", "ad01"),
    ("mlperf_ic_resnet8_int8", "ic01"),
])
def test_l4r5zi_firmware_on_mps2_an386_through_the_agent(compiled, shared, model, data):
    out = compiled(model, "nucleo-l4r5zi")
    result = _run_and_compare(out, "nucleo-l4r5zi", _samples(out, shared, data, 20), emulate=True)
    info = result.firmware.info
    b = load_board("nucleo-l4r5zi")
    assert info["runs_on"] == "mps2-an386" and info["app"] == "agent" and info["kernels"]["dsp"]
    assert info["ram"]["limit_bytes"] == b.ram_bytes and info["flash"]["limit_bytes"] == b.flash.size
    report = json.loads((out / "report.json").read_text())
    assert report["firmware"]["nucleo-l4r5zi@mps2-an386"] == info


@pytest.mark.parametrize("board", ["mps2-an500", "mps2-an505"])
def test_agent_on_m7_and_m33(compiled, shared, board):
    out = compiled("mlperf_ad_autoenc_int8", board)  # planned for the board's kernels (DSP on both)
    result = _run_and_compare(out, board, _samples(out, shared, "ad01", 5))
    assert result.firmware.info["kernels"]["dsp"]


def test_real_board_needs_a_port_or_qemu(compiled):
    out = compiled("tflm_hello_world_int8")
    with pytest.raises(InputError, match="--port"):
        run_on_board(out, "nucleo-l4r5zi", [np.zeros((1, 1), np.int8)])
