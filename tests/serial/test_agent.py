"""The device agent built for the host, driven through the protocol: outputs equal the host
simulator's; every typed error; idempotent retries; resynchronisation after bad frames."""

import json
import struct
import time
import zlib

import numpy as np
import pytest

from tests.serial.conftest import FAKE_PAYLOAD, RawLink, fake_expected
from tinymem.serial import cobs, protocol
from tinymem.serial.client import DeviceClient, DeviceError, DeviceErrorResponse
from tinymem.serial.host_agent import build_host_agent
from tinymem.serial.protocol import Err, Msg
from tinymem.sim.host import run_host


def _inputs(info, rng):
    return [rng.integers(-128, 128, t.shape, dtype=np.int8) if t.dtype == "s8"
            else rng.integers(-1000, 1000, t.shape).astype(t.np_dtype) for t in info.inputs]


@pytest.mark.parametrize("transport", ["tcp", "pty"])
@pytest.mark.parametrize("model", ["fc", "add"])
def test_outputs_equal_host_simulator(request, proxied, model, transport):
    out = request.getfixturevalue(f"{model}_out")
    _, proxy = proxied(request.getfixturevalue(f"{model}_agent"), transport=transport)
    rng = np.random.default_rng(7)
    with DeviceClient(proxy.url, timeout=1.0, retries=2) as dev:
        info = dev.check_model(out)
        report = json.loads((out / "report.json").read_text())
        assert info.board == "host" and info.firmware_id.startswith("tinymem-")
        assert info.model_name == report["model"]["name"]
        assert info.arena_bytes > 0 and info.state_bytes == 0 and not info.params_updatable
        assert [t.name for t in info.inputs] == [d["name"] for d in report["inputs"]]
        assert [t.scale for t in info.inputs] == pytest.approx([d["scale"] for d in report["inputs"]])
        assert [t.zero_point for t in info.outputs] == [d["zero_point"] for d in report["outputs"]]
        assert dev.ping() < 1.0
        for _ in range(3):
            xs = _inputs(info, rng)
            got, cycles = dev.run(xs)
            want = run_host(out, xs)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                assert g.dtype == w.dtype and g.shape == w.shape
                np.testing.assert_array_equal(g, w)
            assert cycles > 0
        assert dev.info(refresh=True).run_count == 3
        assert dev.stats.bad_frames == 0  # a clean link never garbles a frame


def test_small_frames(proxied, add_out):
    """With 64-byte payloads every 27 KiB transfer takes hundreds of frames each way."""
    _, proxy = proxied(build_host_agent(add_out, profile="quick", max_payload=64))
    rng = np.random.default_rng(3)
    with DeviceClient(proxy.url, timeout=1.0, retries=2) as dev:
        info = dev.info()
        assert info.max_payload == 64
        xs = _inputs(info, rng)
        got, _ = dev.run(xs)
        np.testing.assert_array_equal(got[0], run_host(add_out, xs)[0])
        assert dev.stats.requests > 3 * 27648 // 60


def test_check_model_detects_another_model(proxied, fc_agent, add_out):
    _, proxy = proxied(fc_agent)
    with DeviceClient(proxy.url, timeout=1.0, retries=1) as dev:
        with pytest.raises(DeviceError, match="flash this firmware"):
            dev.check_model(add_out)


def test_client_checks_inputs(proxied, fc_out, fc_agent):
    _, proxy = proxied(fc_agent)
    with DeviceClient(proxy.url, timeout=1.0, retries=1) as dev:
        with pytest.raises(DeviceError, match="shape"):
            dev.run([np.zeros((1, 9), np.int8)])
        with pytest.raises(DeviceError, match="quantize"):
            dev.run([np.zeros((1, 8), np.float32)])
        with pytest.raises(DeviceError, match="input"):
            dev.run([])
        got, _ = dev.run([np.arange(8, dtype=np.int8)])  # a flat array of the right size is reshaped
        np.testing.assert_array_equal(got[0], run_host(fc_out, [np.arange(8, dtype=np.int8).reshape(1, 8)])[0])


# ---- the stateful fake model through the client ----

def test_stateful_runs_reset_and_params(proxied, fake_agent):
    _, proxy = proxied(fake_agent)
    rng = np.random.default_rng(5)
    with DeviceClient(proxy.url, timeout=1.0, retries=2) as dev:
        info = dev.info()
        assert (info.board, info.firmware_id, info.state_bytes, info.params_bytes) == ("fake-board", "fake-fw-1", 4, 300)
        assert [t.name for t in info.inputs] == ["image", "control"] and info.inputs[1].dtype == "s32"
        for counter in [0, 1, 2]:
            x = rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8)
            c = np.array([[0, 17]], np.int32)
            got, _ = dev.run([x, c])
            for g, w in zip(got, fake_expected(x, c, counter)):
                np.testing.assert_array_equal(g, w)
        dev.reset_state()
        got, _ = dev.run([x, c])
        assert got[1][0, 0] == 0
        # a model error is a typed error naming the status, and nothing is returned
        with pytest.raises(DeviceErrorResponse, match="TM_ERR_SHAPE") as e:
            dev.run([x, np.array([[1, 0]], np.int32)])
        assert e.value.code == Err.MODEL
        # parameters: written and read back
        blob = rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
        dev.params_write(blob)
        assert dev.params_read() == blob
        dev.params_write(b"\x01\x02\x03", offset=297)
        assert dev.params_read(295, 5) == blob[295:297] + b"\x01\x02\x03"
        with pytest.raises(DeviceErrorResponse, match="MODEL"):
            dev.params_write(b"\xee")  # the firmware's params_changed hook refuses it
        with pytest.raises(DeviceError, match="outside"):
            dev.params_read(290, 20)


def test_no_params_is_a_typed_error(proxied, fc_agent):
    _, proxy = proxied(fc_agent)
    with DeviceClient(proxy.url, timeout=1.0, retries=1) as dev:
        with pytest.raises(DeviceErrorResponse) as e:
            dev.params_read()
        assert e.value.code == Err.NO_PARAMS
        with pytest.raises(DeviceErrorResponse) as e:
            dev.params_write(b"abc")
        assert e.value.code == Err.NO_PARAMS


def test_params_build_option(proxied, fc_out):
    _, proxy = proxied(build_host_agent(fc_out, profile="quick", params_bytes=100))
    with DeviceClient(proxy.url, timeout=1.0, retries=1) as dev:
        assert dev.info().params_bytes == 100
        dev.params_write(bytes(range(100)))
        assert dev.params_read(10, 5) == bytes(range(10, 15))


# ---- raw frames: typed errors and resynchronisation ----

@pytest.fixture
def raw(spawn, fake_agent):
    return RawLink(spawn(fake_agent))


def _err(pkt):
    assert pkt.type == Msg.ERROR, pkt
    return protocol.parse_error(pkt.payload)


def _write_inputs(raw, seq, x0, ctrl):
    blob = x0.tobytes() + ctrl.tobytes()
    for i, off in enumerate(range(0, len(blob), 500)):
        raw.request(Msg.INPUT_WRITE, seq + i, struct.pack("<I", off) + blob[off:off + 500])
        assert raw.one().type == Msg.INPUT_WRITE | 0x80
    return seq + i + 1, blob


def test_typed_errors(raw):
    raw.request(0x55, 10)
    e = _err(raw.one())
    assert (e.code, e.request, e.detail) == (Err.UNKNOWN_COMMAND, 0x55, 0x55)
    raw.request(Msg.RUN, 11, b"abc")
    assert _err(raw.one()).code == Err.BAD_LENGTH
    raw.request(Msg.OUTPUT_READ, 12, struct.pack("<II", 0, 10))
    assert _err(raw.one()).code == Err.NO_OUTPUT
    raw.request(Msg.INPUT_WRITE, 13, struct.pack("<I", 27650) + b"0123456789")
    e = _err(raw.one())
    assert (e.code, e.detail) == (Err.BAD_ARG, 27656)
    raw.request(Msg.RUN, 14, struct.pack("<II", 0, 5))
    assert _err(raw.one()).code == Err.BAD_ARG
    raw.request(Msg.INFO, 15, struct.pack("<I", 1 << 20))
    assert _err(raw.one()).code == Err.BAD_ARG
    # a packet of another protocol version
    body = protocol.HEADER.pack(2, Msg.PING, 16, 0)
    raw.send(b"\x00" + cobs.encode(body + zlib.crc32(body).to_bytes(4, "little")) + b"\x00")
    e = _err(raw.one())
    assert (e.code, e.detail) == (Err.VERSION, 1)
    # responses are never answered (no ping-pong between two agents)
    raw.request(Msg.PING | 0x80, 17)
    assert raw.quiet()
    raw.request(Msg.PING, 18, b"hi")
    p = raw.one()
    assert (p.type, p.seq, p.payload) == (Msg.PING | 0x80, 18, b"hi")


def test_bad_crc_truncated_oversize_garbage_then_resync(raw):
    good = protocol.pack(Msg.PING, 40, b"x")
    bad = bytearray(good)
    bad[-1] ^= 0x40  # CRC byte: the header (and its seq) survive
    raw.send(b"\x00" + cobs.encode(bytes(bad)) + b"\x00")
    e = raw.one()
    assert e.seq == 40 and _err(e).code == Err.BAD_CRC
    # not executed: the same seq is still free and executes now
    raw.request(Msg.PING, 40, b"x")
    assert raw.one().payload == b"x"
    enc = cobs.encode(protocol.pack(Msg.PING, 41, b"y" * 20))
    raw.send(b"\x00" + enc[:9] + b"\x00")  # truncated
    assert _err(raw.one()).code in (Err.FRAME, Err.BAD_CRC)
    raw.send(b"\x00" + bytes(range(1, 256)) * 40 + b"\x00")  # 10 KB: longer than any frame
    e = _err(raw.one())
    assert (e.code, e.detail) == (Err.OVERSIZE, FAKE_PAYLOAD)
    raw.send(bytes([0x13, 0x37, 0x99, 0x01]))  # garbage, then a frame with its leading delimiter
    raw.request(Msg.PING, 42, b"z")
    pk = raw.packets(count=2, timeout=0.5)
    assert pk[-1].seq == 42 and pk[-1].payload == b"z"
    assert all(p.type == Msg.ERROR for p in pk[:-1])


def test_partial_frame_is_forgotten_after_silence(raw):
    enc = cobs.encode(protocol.pack(Msg.PING, 50, b"a"))
    raw.send(enc[:5])  # a frame that stops half way
    time.sleep(0.7)   # > TM_AGENT_RX_IDLE_MS
    raw.send(cobs.encode(protocol.pack(Msg.PING, 51, b"b")) + b"\x00")  # no leading delimiter
    p = raw.one()
    assert (p.seq, p.payload) == (51, b"b")


def test_retry_is_idempotent_and_stale_frames_are_refused(raw):
    rng = np.random.default_rng(9)
    x0 = rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8)
    ctrl = np.array([[0, 5]], np.int32)
    seq, blob = _write_inputs(raw, 100, x0, ctrl)
    run = struct.pack("<II", zlib.crc32(blob), len(blob))
    raw.request(Msg.RUN, seq, run)
    first = raw.frames()
    raw.request(Msg.RUN, seq, run)  # the retry of a RUN whose answer was lost
    again = raw.frames()
    assert first == again and len(first) == 1
    cycles, ms, runs, total, out_crc = struct.unpack_from("<IIIII", protocol.unpack(first[0]).payload)
    assert runs == 1 and total == 27656
    # stale: an older sequence number, or the same one with other content, is refused unexecuted
    raw.request(Msg.RUN, seq - 1, run)
    e = _err(raw.one())
    assert (e.code, e.detail) == (Err.STALE_SEQ, seq)
    raw.request(Msg.PING, seq, b"other")
    assert _err(raw.one()).code == Err.STALE_SEQ
    # the run clobbered its inputs (output 0 lives in input 0): a new RUN is refused, not run on garbage
    raw.request(Msg.RUN, seq + 1, run)
    e = _err(raw.one())
    assert e.code == Err.INPUT_CRC and e.detail != zlib.crc32(blob)
    # outputs are readable and match the CRC; writing inputs invalidates them
    raw.request(Msg.OUTPUT_READ, seq + 2, struct.pack("<II", 27000, 500))
    p = raw.one()
    assert struct.unpack_from("<I", p.payload)[0] == 27000
    want = b"".join(a.tobytes() for a in fake_expected(x0, ctrl, 0))
    assert p.payload[4:] == want[27000:27500] and zlib.crc32(want) == out_crc
    raw.request(Msg.INPUT_WRITE, seq + 3, struct.pack("<I", 0) + b"\x01")
    raw.one()
    raw.request(Msg.OUTPUT_READ, seq + 4, struct.pack("<II", 0, 10))
    assert _err(raw.one()).code == Err.NO_OUTPUT
    # the counter moved once: the next run reports counter 1
    seq, blob = _write_inputs(raw, seq + 5, x0, ctrl)
    raw.request(Msg.RUN, seq, struct.pack("<II", zlib.crc32(blob), len(blob)))
    p = protocol.unpack(raw.frames()[0])
    assert struct.unpack_from("<I", p.payload, 8)[0] == 2
    raw.request(Msg.OUTPUT_READ, seq + 1, struct.pack("<II", 27648, 8))
    assert struct.unpack_from("<i", raw.one().payload, 4)[0] == 1


def test_sequence_numbers_wrap(raw):
    for i, seq in enumerate([0xFFFE, 0xFFFF, 0, 1]):
        raw.request(Msg.PING, seq, bytes([i]))
        assert raw.one().payload == bytes([i])
    raw.request(Msg.PING, 0xFFFF)
    assert _err(raw.one()).code == Err.STALE_SEQ


def test_new_client_resynchronises(proxied, fake_agent):
    """A second client session starts at a random sequence number; the device's STALE_SEQ answer
    tells it where to continue."""
    _, proxy = proxied(fake_agent)
    resyncs = 0
    for seed in range(6):
        with DeviceClient(proxy.url, timeout=1.0, retries=1, seed=seed) as dev:
            dev.ping()
            resyncs += dev.stats.resyncs
    assert resyncs > 0
