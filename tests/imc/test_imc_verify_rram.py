"""`tinymem verify MODEL --backend rram`: compiled models with their FullyConnected and Conv2D
layers on crossbars. An exact device reproduces the digital int8 execution bit for bit (against
TFLite Micro, the compiled C and the numpy interpreter); the default device changes outputs."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.ops.stateful import build_stateful
from tests.tflite_builder import T, build_model, run_tflm
from tinymem.errors import InputError
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.imc.crossbar_backend import CrossbarBackend
from tinymem.imc.device import Device
from tinymem.imc.verify_rram import verify_rram
from tinymem.ops.conv2d import conv_accumulate, conv_matmul
from tinymem.ops.op import exact_matmul
from tinymem.sim.interpret import interpret
from tinymem.sim.random_inputs import random_inputs

RNG = np.random.default_rng(11)
KWS = "mlperf_kws_dscnn_int8"


def tinymem(*args):
    return subprocess.run([sys.executable, "-m", "tinymem", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"})


def conv_fc_model(tmp_path: Path) -> Path:
    """CONV_2D 3x3 stride 2 (per-channel weights, RELU) -> FULLY_CONNECTED over the flattened map
    (per-tensor weights with a non-zero zero point) -> 10 int8 scores."""
    wc = RNG.integers(-127, 128, (8, 3, 3, 4), dtype=np.int8)
    wf = RNG.integers(-120, 128, (10, 72), dtype=np.int8)
    cs = RNG.uniform(0.004, 0.02, 8).astype(np.float32)
    tensors = [T((1, 6, 6, 4), "s8", 0.05, -3),
               T(wc.shape, "s8", cs.tolist(), 0, data=wc),
               T((8,), "s32", (cs * np.float32(0.05)).tolist(), 0,
                 data=RNG.integers(-3000, 3000, 8, dtype=np.int32)),
               T((1, 3, 3, 8), "s8", 0.08, -128),
               T(wf.shape, "s8", 0.01, 4, data=wf),
               T((10,), "s32", 0.0008, 0, data=RNG.integers(-2000, 2000, 10, dtype=np.int32)),
               T((1, 10), "s8", 0.2, 7)]
    ops = [("CONV_2D", [0, 1, 2], [3], dict(stride_h=2, stride_w=2, padding="SAME",
                                             fused_activation_function="RELU")),
           ("FULLY_CONNECTED", [3, 4, 5], [6], {})]
    path = tmp_path / "conv_fc.tflite"
    path.write_bytes(build_model(ops, tensors, [0], [6]))
    return path


EXACT = [Device.ideal(), Device.ideal(levels=4, dac_bits=2, tile_rows=16, tile_cols=4, seed=3)]


@pytest.mark.parametrize("device", EXACT, ids=["ideal", "sliced-16x4-tiles"])
def test_exact_device_is_bit_exact_on_small_model(tmp_path, device):
    path = conv_fc_model(tmp_path)
    g = canonicalize(load_model(path))
    backend = CrossbarBackend(device)
    for xs in random_inputs([{"shape": (1, 6, 6, 4), "dtype": "s8"}], 8, seed=5):
        want = run_tflm(path.read_bytes(), xs)[0]
        np.testing.assert_array_equal(interpret(g, xs, matmul=backend)[0], want)
    assert sorted(backend.layers) == sorted(n.name for n in g.nodes)  # both layers ran on crossbars
    if device.tile_rows == 16:  # K = 36 and 72 rows over 16-row tiles, 8 and 10 columns over 4
        assert [layer["tiles"] for layer in backend.describe()] == [4 * 3 * 2, 4 * 5 * 3]
    r = verify_rram(path, device, n_random=12, calibration=4)  # vs the compiled C on the host
    assert r.identical and r.samples == 12 and r.outputs[0].max_abs_diff == 0
    assert verify_rram(path, device, n_random=3, calibration=0).identical  # uncalibrated ADCs


def test_grouped_conv_as_one_product_per_group():
    node = SimpleNamespace(op="conv2d", name="c", attrs={"strides": (2, 1), "dilations": (1, 2),
                                                          "pads": (1, 0, 2, 1)})
    x = RNG.integers(-255, 256, (2, 7, 6, 6)).astype(np.int64)
    w = RNG.integers(-127, 128, (9, 3, 2, 2)).astype(np.int64)  # 3 groups of 3 outputs, 2 inputs each
    out_hw = ((7 + 3 - 3) // 2 + 1, (6 + 1 - 3) // 1 + 1)
    keys = []

    def matmul(key, xg, wg):
        keys.append(key)
        return exact_matmul(key, xg, wg)

    want = conv_accumulate(x, w, node, out_hw)
    np.testing.assert_array_equal(conv_matmul(x, w, node, out_hw, matmul), want)
    assert keys == ["c/g0", "c/g1", "c/g2"]
    got = conv_matmul(x, w, node, out_hw, CrossbarBackend(Device.ideal(levels=16, dac_bits=3)))
    np.testing.assert_array_equal(got, want)


def test_kws_ideal_crossbar_reproduces_digital(shared):
    model = shared / "models" / f"{KWS}.tflite"
    r = verify_rram(model, Device.ideal(), n_random=3, data=shared / "data/mlperf/kws01", data_limit=40,
                    calibration=4)
    assert r.identical and r.samples == 43 and r.labelled == 40
    assert r.accuracy_crossbar == r.accuracy_digital > 0.8 and r.top1_agreement == 1.0
    assert [layer["layer"] for layer in r.layers][-1].startswith("fully_connected")
    assert len(r.layers) == 6  # the first conv, 4 pointwise convs, the classifier; depthwise stays digital
    g = canonicalize(load_model(model))
    backend = CrossbarBackend(Device.ideal())
    for xs in random_inputs([{"shape": g.tensor(g.inputs[0]).shape, "dtype": "s8"}], 3, seed=1):
        np.testing.assert_array_equal(interpret(g, xs, matmul=backend)[0], interpret(g, xs)[0])


def test_kws_default_device_changes_outputs_keeps_accuracy(shared):
    r = verify_rram(shared / "models" / f"{KWS}.tflite", Device(), n_random=0,
                    data=shared / "data/mlperf/kws01", data_limit=60)
    assert not r.identical and r.outputs[0].mean_abs_diff > 0
    assert r.top1_agreement < 1.0
    assert 0.6 < r.accuracy_crossbar <= r.accuracy_digital + 0.05  # far above chance (1/12)
    assert r.energy["adc"] > 0 and r.energy["total"] < r.energy["mcu"]
    again = verify_rram(shared / "models" / f"{KWS}.tflite", Device(), n_random=0,
                        data=shared / "data/mlperf/kws01", data_limit=60)
    assert again.outputs == r.outputs  # seeded: the same chip and reads


def test_autoencoder_reports_agreement_only(shared):
    r = verify_rram(shared / "models/mlperf_ad_autoenc_int8.tflite", Device.ideal(), n_random=0,
                    data=shared / "data/mlperf/ad01", data_limit=10, calibration=2)
    assert r.identical and r.accuracy_digital is None and r.top1_agreement is None


def test_cli_reports_accuracy_and_exits_1_only_for_an_inexact_exact_device(shared, tmp_path):
    model = shared / "models" / f"{KWS}.tflite"
    r = tinymem("verify", model, "--backend", "rram", "--ideal", "-n", "0", "--calibration", "2",
                "--data", shared / "data/mlperf/kws01")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "top-1 accuracy on 508 labelled inputs" in r.stdout and "508/508" in r.stdout
    cfg = tmp_path / "dev.toml"
    cfg.write_text("[device]\nprog_noise = 0.01\n")
    r = tinymem("verify", conv_fc_model(tmp_path), "--backend", "rram", "--device-config", cfg,
                "--device", "adc_bits=6", "-n", "5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "device model" in r.stdout and "labelled" not in r.stdout


@pytest.mark.parametrize("args,message", [
    (["--backend", "fpga"], "'fpga' is not one of 'c', 'rram'"),
    (["--backend", "rram", "--device", "adc_bits=six"], "device setting adc_bits: expected int, got 'six'"),
    (["--backend", "rram", "--device", "colour=1"], "unknown device settings: ['colour']"),
    (["--backend", "rram", "--device", "adc_bits"], "--device 'adc_bits': expected KEY=VALUE"),
    (["--ideal"], "need --backend rram"),
])
def test_cli_bad_options(tmp_path, args, message):
    r = tinymem("verify", conv_fc_model(tmp_path), *args)
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_model_without_crossbar_layers_is_one_line_error(tmp_path):
    tensors = [T((1, 8), "s8", 0.1, 0), T((1, 8), "s8", 0.1, 0), T((1, 8), "s8", 0.2, 0)]
    path = tmp_path / "add.tflite"
    path.write_bytes(build_model([("ADD", [0, 1], [2], {})], tensors, [0, 1], [2]))
    r = tinymem("verify", path, "--backend", "rram", "-n", "2")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: add.tflite: no int8 FullyConnected or Conv2D layer with constant weights to map onto crossbars"]


def test_stateful_model_is_refused(tmp_path):
    """var += x (a TFLite resource variable): the crossbar run has no state between inputs."""
    q = dict(scale=0.1, zero_point=-3)
    res = dict(shape=(), dtype="resource")
    tensors = [T((1, 4), "s8", **q, name="x"), T(**res, name="acc_handle"), T((1, 4), "s8", **q, name="read"),
               T((1, 4), "s8", **q, name="y")]
    ops = [("VAR_HANDLE", [], [1], {"shared_name": "acc"}), ("READ_VARIABLE", [1], [2]),
           ("ADD", [2, 0], [3]), ("ASSIGN_VARIABLE", [1, 3], [])]
    path = tmp_path / "acc.tflite"
    path.write_bytes(build_stateful([{"tensors": tensors, "ops": ops, "inputs": [0], "outputs": [3]}]))
    with pytest.raises(InputError, match="stateless models only .persistent state: acc"):
        verify_rram(path, Device.ideal(), n_random=2)


def test_device_exact_and_typed_settings():
    assert Device.ideal().exact and Device.ideal(levels=4, dac_bits=2).exact
    assert not Device().exact and not Device.ideal(adc_bits=12).exact and not Device.ideal(stuck_on=1e-4).exact
    # drift needs time: read right after programming, a drifting device without noise is exact
    fresh = Device.from_dict({"t_inference": 0.0, "prog_noise": 0, "read_noise": 0, "stuck_on": 0, "stuck_off": 0,
                              "adc_bits": 0})
    assert fresh.exact and fresh.drift_nu > 0 and not fresh.with_(t_inference=1.0).exact
    w = RNG.integers(-127, 128, (6, 300))
    x = RNG.integers(-255, 256, (4, 300))
    np.testing.assert_array_equal(CrossbarBackend(fresh)("fc", x, w), x @ w.T)
    assert Device.from_dict({"g_max": 40, "drift_compensation": False}).g_max == 40
    for bad in ({"drift_compensation": 1}, {"tile_rows": 2.5}, {"prog_noise": True}, {"levels": "16"}):
        with pytest.raises(ValueError, match="expected"):
            Device.from_dict(bad)
