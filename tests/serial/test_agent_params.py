"""PARAMS_READ / PARAMS_WRITE on a model compiled with --updatable: the agent serves the model's
own params region (tm_model.params), and a head written over the protocol changes the outputs
exactly as TFLM does on the model file rewritten with that head."""

from __future__ import annotations

import numpy as np

from tests.serial.conftest import need_cc
from tests.tflite_builder import T, single_op
from tinymem.compile import CompileOptions, compile_model
from tinymem.params import pack_params, unpack_params
from tinymem.serial.client import DeviceClient
from tinymem.serial.host_agent import build_host_agent
from tinymem.sim.references import run_tflm


def _head_model(w, b) -> bytes:
    return single_op("FULLY_CONNECTED", [T((1, 20), "s8", 0.1, 3, name="x"),
                                         T((6, 20), "s8", [0.01 * (i + 1) for i in range(6)], 0, data=w, name="head/w"),
                                         T((6,), "s32", [0.001 * (i + 1) for i in range(6)], 0, data=b, name="head/b")],
                     [T((1, 6), "s8", 0.3, -4, name="y")])


def test_params_write_swaps_the_head(proxied, tmp_path):
    need_cc()
    rng = np.random.default_rng(8)
    w0, b0 = rng.integers(-127, 128, (6, 20), dtype=np.int8), rng.integers(-900, 900, 6).astype(np.int32)
    (tmp_path / "m.tflite").write_bytes(_head_model(w0, b0))
    out = tmp_path / "out"
    report = compile_model(tmp_path / "m.tflite", out, CompileOptions(updatable=("head",)))
    _, proxy = proxied(build_host_agent(out, profile="quick"))
    xs = [rng.integers(-128, 128, (1, 20), dtype=np.int8) for _ in range(4)]
    w1, b1 = rng.integers(-127, 128, (6, 20), dtype=np.int8), rng.integers(-900, 900, 6).astype(np.int32)
    new = pack_params(report, {"head": {"weights": w1, "bias": b1}})
    with DeviceClient(proxy.url, timeout=1.0, retries=2) as dev:
        info = dev.info()
        assert info.params_bytes == report["ram"]["params_bytes"] == len(new)
        got = unpack_params(report, dev.params_read())["head"]  # the compiled-in head
        np.testing.assert_array_equal(got["weights"], w0)
        np.testing.assert_array_equal(got["bias"], b0)
        for x in xs:
            np.testing.assert_array_equal(dev.run([x])[0][0], run_tflm(_head_model(w0, b0), [x])[0])
        dev.params_write(new)
        assert dev.params_read() == new
        for x in xs:
            np.testing.assert_array_equal(dev.run([x])[0][0], run_tflm(_head_model(w1, b1), [x])[0])
