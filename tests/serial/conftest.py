"""Fixtures of the serial tests: compiled models, host agents (the device agent built for the host,
talking over stdin/stdout), raw links and proxies to them."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.serial.fault_proxy import FaultProxy, Faults
from tests.tflite_builder import T, single_op
from tinymem.compile import compile_model
from tinymem.serial import protocol
from tinymem.serial.host_agent import AGENT_SOURCES, HOST_PORT, agent_dir, build_host_agent
from tinymem.sim.host import WARNINGS

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def need_cc() -> str:
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        if os.environ.get("CI"):
            pytest.fail("a C compiler is required in CI")
        pytest.skip("no C compiler")
    return cc


# ---- models ----

def add_model(path: Path) -> Path:
    """ADD of two 1x96x96x3 int8 tensors: 2 x 27,648 input bytes, 27,648 output bytes."""
    s = (1, 96, 96, 3)
    model = single_op("ADD", [T(s, "s8", 0.05, -3), T(s, "s8", 0.04, 7)], [T(s, "s8", 0.08, -1)])
    path.write_bytes(model)
    return path


def fc_model(path: Path) -> Path:
    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (5, 8), dtype=np.int8)
    model = single_op("FULLY_CONNECTED", [T((1, 8), "s8", 0.1, 3), T((5, 8), "s8", 0.02, 0, data=w),
                                          T((5,), "s32", 0.002, 0, data=rng.integers(-500, 500, 5).astype(np.int32))],
                      [T((1, 5), "s8", 0.05, -2)], fused_activation_function="RELU")
    path.write_bytes(model)
    return path


@pytest.fixture(scope="session")
def add_out(tmp_path_factory) -> Path:
    need_cc()
    d = tmp_path_factory.mktemp("add")
    out = d / "out"
    compile_model(add_model(d / "add.tflite"), out)
    return out


@pytest.fixture(scope="session")
def fc_out(tmp_path_factory) -> Path:
    need_cc()
    d = tmp_path_factory.mktemp("fc")
    out = d / "out"
    compile_model(fc_model(d / "fc.tflite"), out)
    return out


@pytest.fixture(scope="session")
def fc_agent(fc_out) -> Path:
    return build_host_agent(fc_out, profile="quick")


@pytest.fixture(scope="session")
def add_agent(add_out) -> Path:
    return build_host_agent(add_out, profile="release")


FAKE_PAYLOAD = 2048


@pytest.fixture(scope="session")
def fake_agent(tmp_path_factory) -> Path:
    """The stateful fake model with 2 KiB frames (14 frames per 27 KiB transfer)."""
    return build_fake_agent(tmp_path_factory.mktemp("fake"), max_payload=FAKE_PAYLOAD)


def build_fake_agent(dest: Path, profile: str = "release", max_payload: int | None = None) -> Path:
    """The stateful fake model of c/fake_model.c served by the agent."""
    cc = need_cc()
    exe = dest / f"fake_agent_{profile}_{max_payload}"
    if exe.exists():
        return exe
    defines = [f"-DTM_AGENT_MAX_PAYLOAD={max_payload}u"] if max_payload else []
    from tinymem.serial.host_agent import PROFILES_ALL

    srcs = [HERE / "c" / "fake_model.c"] + [agent_dir() / s for s in AGENT_SOURCES] + [agent_dir() / HOST_PORT]
    cmd = [cc, *WARNINGS, *PROFILES_ALL[profile], *defines, "-I", str(ROOT / "runtime_c" / "include"),
           "-I", str(agent_dir()), *map(str, srcs), "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


# ---- fake model reference ----

def fake_expected(x0: np.ndarray, control: np.ndarray, counter: int) -> list[np.ndarray]:
    raw = x0.astype(np.int8).view(np.uint8).reshape(-1)
    i = np.arange(raw.size, dtype=np.uint32)
    mixed = (raw ^ ((counter * 7 + i) & 0xFF).astype(np.uint8)).view(np.int8).reshape(1, 96, 96, 3)
    total = (int(raw.astype(np.uint64).sum()) + int(control.reshape(-1)[1])) & 0xFFFFFFFF
    stats = np.array([[counter, np.uint32(total).view(np.int32)]], dtype=np.int32)
    return [mixed, stats]


# ---- agent processes ----

class Agent:
    """A host agent process; stdin/stdout are its UART, stderr goes to a file."""

    def __init__(self, exe: Path, workdir: Path):
        self.stderr_path = workdir / f"agent_{os.getpid()}_{time.monotonic_ns()}.stderr"
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err)

    @property
    def stdin(self) -> int:
        return self.proc.stdin.fileno()

    @property
    def stdout(self) -> int:
        return self.proc.stdout.fileno()

    def stop(self) -> str:
        """Close its input (it exits), return its stderr; fails the test on sanitizer reports."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self._err.close()
        err = self.stderr_path.read_text(errors="replace")
        assert "runtime error" not in err and "Sanitizer" not in err, err
        assert self.proc.returncode == 0, f"agent exited with {self.proc.returncode}: {err}"
        return err


@pytest.fixture
def spawn(tmp_path):
    agents = []

    def start(exe: Path) -> Agent:
        a = Agent(exe, tmp_path)
        agents.append(a)
        return a

    yield start
    for a in agents:
        if a.proc.poll() is None or not a._err.closed:
            a.stop()


class RawLink:
    """Frames straight to an agent's stdin / from its stdout (no client logic)."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self.deframer = protocol.Deframer(1 << 20)
        os.set_blocking(agent.stdout, False)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.agent.stdin, view)
            view = view[n:]

    def request(self, type_: int, seq: int, payload: bytes = b"") -> None:
        self.send(protocol.frame(type_, seq, payload))

    def frames(self, timeout: float = 1.0, count: int = 1) -> list[bytes]:
        got: list[bytes] = []
        end = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < end:
            try:
                data = os.read(self.agent.stdout, 65536)
            except BlockingIOError:
                time.sleep(0.002)
                continue
            got += self.deframer.feed(data)
        return got

    def packets(self, timeout: float = 1.0, count: int = 1) -> list[protocol.Packet]:
        return [protocol.unpack(f) for f in self.frames(timeout, count)]

    def one(self, timeout: float = 1.0) -> protocol.Packet:
        pk = self.packets(timeout)
        assert len(pk) == 1, f"expected one answer, got {pk}"
        return pk[0]

    def quiet(self, wait: float = 0.2) -> bool:
        return not self.frames(wait)


def bounded(fn, seconds: float):
    """Run fn() in a thread; fail if it has not returned within `seconds` (a hang)."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the caller
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t0 = time.monotonic()
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"call still running after {seconds} s: the client hangs"
    box["elapsed"] = time.monotonic() - t0
    return box


@pytest.fixture
def proxied(spawn):
    """proxied(exe, faults=None, seed=0, transport="tcp") -> (agent, proxy); both closed afterwards."""
    proxies = []

    def start(exe: Path, faults: Faults | None = None, seed: int = 0, transport: str = "tcp"):
        agent = spawn(exe)
        proxy = FaultProxy(agent.stdin, agent.stdout, faults, seed=seed, transport=transport).__enter__()
        proxies.append(proxy)
        return agent, proxy

    yield start
    for p in proxies:
        p.close()


__all__ = ["build_host_agent", "RawLink", "bounded"]
