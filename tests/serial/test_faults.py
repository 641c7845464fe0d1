"""The client through a fault-injecting proxy (random garbage; dropped, duplicated, corrupted,
truncated and reordered frames; oversize floods; disconnects), seeded: every call either returns the
correct outputs or raises a DeviceError within its time bound. Never a wrong output, never a hang,
and a RUN is never executed twice."""

import os
import random
import struct

import numpy as np
import pytest

from tests.serial.conftest import FAKE_PAYLOAD, RawLink, bounded, build_fake_agent, fake_expected
from tests.serial.fault_proxy import Faults
from tinymem.serial import protocol
from tinymem.serial.client import DeviceClient, DeviceDisconnected, DeviceError, DeviceTimeout
from tinymem.serial.protocol import Msg
from tinymem.sim.host import run_host

TIMEOUT, RETRIES, RUN_TIMEOUT = 0.05, 8, 0.3


def _bound(requests: int) -> float:
    """What one client call may take at most: every request exhausting its retries (plus the RUN
    wait and a reconnect per attempt), and scheduling slack."""
    return requests * (RETRIES + 1) * (TIMEOUT + TIMEOUT) + RUN_TIMEOUT + 3.0


def _client(url, seed):
    return DeviceClient(url, timeout=TIMEOUT, retries=RETRIES, run_timeout=RUN_TIMEOUT, seed=seed)


@pytest.fixture(scope="module")
def add_cases(add_out):
    rng = np.random.default_rng(2024)
    cases = []
    for _ in range(3):
        xs = [rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8) for _ in range(2)]
        cases.append((xs, run_host(add_out, xs)))
    return cases


@pytest.mark.parametrize("seed", range(6))
def test_generated_model_under_random_faults(proxied, add_agent, add_cases, seed):
    p = [0.01, 0.03, 0.05][seed % 3]
    _, proxy = proxied(add_agent, Faults.mix(p, disconnect=p / 5), seed=seed, transport="tcp")
    dev = bounded(lambda: _client(proxy.url, seed), 5)["value"]
    # 27,648 x 2 bytes in, 27,648 out: 14 writes, RUN, 6 reads (+ INFO the first time)
    bound = _bound(22)
    ok = 0
    try:
        for xs, want in add_cases:
            box = bounded(lambda: dev.run(xs), bound)
            if "error" in box:
                assert isinstance(box["error"], DeviceError), repr(box["error"])
                continue
            got, _ = box["value"]
            np.testing.assert_array_equal(got[0], want[0])  # never a wrong output
            ok += 1
    finally:
        dev.close()
    assert ok >= 1, "every run failed: the faults prove nothing"


def _stateful_session(url, seed, runs, bound):
    """Runs the fake stateful model; checks every output and that each RUN executed at most once."""
    rng = np.random.default_rng(seed)
    dev = bounded(lambda: _client(url, seed), 5)["value"]
    outcomes, last, failed_since = [], None, 0
    try:
        for _ in range(runs):
            x = rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8)
            c = np.array([[0, int(rng.integers(0, 1000))]], np.int32)
            box = bounded(lambda: dev.run([x, c]), bound)
            if "error" in box:
                assert isinstance(box["error"], DeviceError), repr(box["error"])
                outcomes.append(type(box["error"]).__name__)
                failed_since += 1
                continue
            got, _ = box["value"]
            counter = int(got[1][0, 0])
            for g, w in zip(got, fake_expected(x, c, counter)):
                np.testing.assert_array_equal(g, w)
            low = 0 if last is None else last + 1
            assert low <= counter <= low + failed_since, (last, counter, failed_since)
            last, failed_since = counter, 0
            outcomes.append("ok")
    finally:
        dev.close()
    return outcomes


@pytest.mark.parametrize("seed", range(4))
def test_stateful_model_under_random_faults(proxied, fake_agent, seed):
    _, proxy = proxied(fake_agent, Faults.mix([0.01, 0.04][seed % 2], disconnect=0.005), seed=100 + seed)
    # 14 + 1 writes, RUN, 14 reads per run
    outcomes = _stateful_session(proxy.url, seed, 3, _bound(31))
    assert outcomes.count("ok") >= 1, outcomes


@pytest.mark.parametrize("seed", range(2))
def test_lost_answers_never_run_twice(proxied, fake_agent, seed):
    """A third of all answers is lost: RUN is retried a lot, and the device's cached answer must
    keep each one to a single execution."""
    _, proxy = proxied(fake_agent, Faults(drop=0.3, directions=("a2c",)), seed=200 + seed)
    outcomes = _stateful_session(proxy.url, seed, 3, _bound(31))
    assert outcomes.count("ok") >= 1, outcomes


def test_everything_dropped_times_out_clearly(proxied, fc_agent):
    _, proxy = proxied(fc_agent, Faults(drop=1.0), seed=1)
    dev = _client(proxy.url, 1)
    box = bounded(dev.info, (RETRIES + 1) * TIMEOUT + 2.0)
    assert isinstance(box["error"], DeviceTimeout)
    assert "no valid answer" in str(box["error"]) and "INFO" in str(box["error"])
    assert box["elapsed"] >= (RETRIES + 1) * TIMEOUT * 0.9
    dev.close()


def test_everything_corrupted_never_returns(proxied, fc_agent):
    _, proxy = proxied(fc_agent, Faults(corrupt=1.0, directions=("a2c",)), seed=2)
    dev = _client(proxy.url, 2)
    box = bounded(dev.ping, (RETRIES + 1) * TIMEOUT + 2.0)
    assert isinstance(box["error"], DeviceTimeout)
    assert dev.stats.bad_frames > 0
    dev.close()


def test_pty_disconnect_is_a_clear_error(proxied, fc_agent):
    """A USB serial port that vanishes (the pty's master closes) cannot be reopened."""
    _, proxy = proxied(fc_agent, Faults(disconnect=1.0, directions=("c2a",)), seed=3, transport="pty")
    dev = _client(proxy.url, 3)
    box = bounded(dev.info, 2 * TIMEOUT + 3.0)
    assert isinstance(box["error"], DeviceDisconnected), box
    assert "lost the connection" in str(box["error"]) and proxy.url in str(box["error"])
    dev.close()


def test_tcp_disconnects_are_survived(proxied, fc_agent, fc_out):
    """QEMU's socket: the client reconnects and carries on."""
    _, proxy = proxied(fc_agent, Faults(disconnect=0.15), seed=4)
    dev = _client(proxy.url, 4)
    rng = np.random.default_rng(4)
    ok = 0
    for _ in range(6):
        x = rng.integers(-128, 128, (1, 8), dtype=np.int8)
        box = bounded(lambda: dev.run([x]), _bound(4))
        if "value" in box:
            np.testing.assert_array_equal(box["value"][0][0], run_host(fc_out, [x])[0])
            ok += 1
        else:
            assert isinstance(box["error"], DeviceError)
    assert dev.stats.reconnects > 0 and ok >= 3
    dev.close()


# ---- sanitizers: the agent under garbage, with ASan + UBSan ----

@pytest.fixture(scope="module")
def fake_agent_asan(tmp_path_factory):
    return build_fake_agent(tmp_path_factory.mktemp("asan"), profile="sanitize", max_payload=FAKE_PAYLOAD)


def test_sanitized_agent_under_faults(proxied, fake_agent_asan):
    agent, proxy = proxied(fake_agent_asan, Faults.mix(0.03), seed=300)
    _stateful_session(proxy.url, 300, 2, _bound(31))
    proxy.close()
    agent.stop()  # fails on any sanitizer report


def test_sanitized_agent_fuzzed(spawn, fake_agent_asan):
    """Random bytes, random valid packets of every type and size, then a PING still works."""
    agent = spawn(fake_agent_asan)
    raw = RawLink(agent)
    r = random.Random(7)
    seq = 1
    for i in range(400):
        kind = r.random()
        if kind < 0.3:
            raw.send(os.urandom(r.randrange(1, 600)))
        else:
            t = r.choice(list(Msg)[:-1] + [r.randrange(0, 0x80)])
            n = r.choice([0, 1, 3, 4, 5, 7, 8, 9, r.randrange(0, 300)])
            payload = bytearray(os.urandom(n))
            if n >= 8 and r.random() < 0.5:
                struct.pack_into("<II", payload, 0, r.choice([0, 1, 27640, 27655, 1 << 31]), r.choice([0, 1, 8, 252, 300]))
            seq = (seq + r.choice([1, 1, 1, 0, -1, 30000])) & 0xFFFF
            raw.request(t, seq, bytes(payload))
        raw.frames(timeout=0.001, count=1000)
    raw.send(b"\x00")
    raw.frames(timeout=0.3, count=1000)
    seq = (seq + 1) & 0xFFFF
    raw.request(Msg.PING, seq, b"alive")
    answers = [protocol.unpack(f) for f in raw.frames(timeout=2.0)]
    assert any(p.type == Msg.PING | 0x80 and p.payload == b"alive" for p in answers) or \
        any(p.type == Msg.ERROR and protocol.parse_error(p.payload).code == protocol.Err.STALE_SEQ for p in answers)
    agent.stop()
