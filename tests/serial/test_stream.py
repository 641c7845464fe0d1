"""--stream-input models behind the device agent (host build): during RUN the agent fetches every
input window from the host (INPUT_FETCH, docs/serial-protocol.md) and the client serves it from
the input array. Outputs must equal TFLite Micro's; a host that refuses a window, stays silent or
loses the link ends the RUN with a typed error on both sides, never a hang.
"""

import dataclasses
import json
import struct
import zlib

import numpy as np
import pytest

from tests.serial.conftest import RawLink, bounded, need_cc
from tests.serial.fault_proxy import Faults
from tinymem.compile import CompileOptions, compile_model
from tinymem.serial import protocol
from tinymem.serial.client import DeviceClient, DeviceError, DeviceErrorResponse
from tinymem.serial.host_agent import build_host_agent
from tinymem.serial.protocol import Err, FetchRequest, Msg
from tinymem.sim.references import run_tflm

MODEL = "mlperf_vww_mbv1_int8"
FETCH_TIMEOUT_MS = 300  # the agent's wait for each window before asking again (4 tries)


@pytest.fixture(scope="module")
def stream_out(shared, tmp_path_factory):
    need_cc()
    out = tmp_path_factory.mktemp("stream") / "out"
    compile_model(shared / "models" / f"{MODEL}.tflite", out, CompileOptions(patch="auto", stream_input=True))
    return out


@pytest.fixture(scope="module")
def stream_agent(stream_out):
    return build_host_agent(stream_out, profile="sanitize", fetch_timeout_ms=FETCH_TIMEOUT_MS)


def _windows(out) -> list[list[int]]:
    return json.loads((out / "report.json").read_text())["patch"]["plan"]["input_windows"]


def _images(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8) for _ in range(n)]


def test_streamed_model_matches_tflm(shared, stream_out, stream_agent, proxied):
    _, proxy = proxied(stream_agent)
    windows = _windows(stream_out)
    with DeviceClient(proxy.url, timeout=2.0) as dev:
        info = dev.check_model(stream_out)
        assert info.streamed == {0} and info.input_bytes == 0
        for x in _images(2):
            before = dev.stats.fetches
            got, _ = dev.run([x])
            want = run_tflm((shared / "models" / f"{MODEL}.tflite").read_bytes(), [x])
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
            assert dev.stats.fetches - before >= len(windows)  # at least one INPUT_FETCH per patch


def _run_request(link: RawLink, seq: int) -> None:
    link.request(Msg.RUN, seq, struct.pack("<II", zlib.crc32(b""), 0))


def test_fetch_errors_end_the_run(stream_out, stream_agent, spawn):
    link = RawLink(spawn(stream_agent))
    y0, y1, x0, x1 = _windows(stream_out)[0]
    _run_request(link, 100)
    pkt = link.one()
    assert pkt.type == Msg.INPUT_FETCH and pkt.seq == 100
    req = FetchRequest.parse(pkt.payload)
    assert (req.input, req.y0, req.x0, req.rows, req.cols, req.offset) == (0, y0, x0, y1 - y0, x1 - x0, 0)
    # an answer for another range is not taken: the agent asks again for the same bytes
    wrong = FetchRequest(0, y0, x0, y1 - y0, x1 - x0, 1, req.n)
    link.request(Msg.INPUT_FETCH | protocol.RESPONSE, 100, protocol.FETCH.pack(*dataclasses.astuple(wrong)) + bytes(req.n))
    again = link.one(timeout=3 * FETCH_TIMEOUT_MS / 1000)
    assert again.type == Msg.INPUT_FETCH and again.payload == pkt.payload
    # the host refuses the window: the RUN ends with FETCH
    link.request(Msg.ERROR, 100, struct.pack("<BBi", Err.BAD_ARG, Msg.INPUT_FETCH, 0) + b"no such input")
    err = protocol.parse_error(link.one().payload)
    assert (err.code, err.request, err.detail) == (Err.FETCH, Msg.RUN, 0) and "refused" in err.message
    # a silent host: the same INPUT_FETCH 4 times, then FETCH "no answer"
    _run_request(link, 101)
    pkts = link.packets(timeout=8 * FETCH_TIMEOUT_MS / 1000, count=5)
    assert [p.type for p in pkts] == [Msg.INPUT_FETCH] * 4 + [Msg.ERROR]
    assert len({p.payload for p in pkts[:4]}) == 1
    err = protocol.parse_error(pkts[4].payload)
    assert err.code == Err.FETCH and "no answer" in err.message


def test_link_cut_while_fetching(shared, stream_out, stream_agent, proxied):
    """The link goes down after three windows: the client raises a DeviceError within its bound, the
    agent gives the RUN up, and once the link is back a new session runs correctly."""
    _, proxy = proxied(stream_agent)
    x = _images(1, seed=1)[0]
    dev = DeviceClient(proxy.url, timeout=0.3, retries=3, run_timeout=1.0)
    try:
        dev.check_model(stream_out)
        proxy.faults = Faults(directions=("a2c",), cut_after=3)  # 3 INPUT_FETCHes pass, then nothing
        box = bounded(lambda: dev.run([x]), 30)
        assert isinstance(box.get("error"), DeviceError) and not isinstance(box["error"], DeviceErrorResponse), box
        assert dev.stats.fetches == 3
    finally:
        dev.close()
    assert proxy.stats.counts.get("cut", 0) >= 1
    proxy.faults = Faults.none()
    with DeviceClient(proxy.url, timeout=0.5, retries=20) as dev:
        got, _ = bounded(lambda: dev.run([x]), 60)["value"]
        want = run_tflm((shared / "models" / f"{MODEL}.tflite").read_bytes(), [x])
        np.testing.assert_array_equal(got[0], want[0])
        assert dev.info(refresh=True).run_count == 1  # the cut RUN never completed
