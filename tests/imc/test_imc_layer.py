"""int8 layers on crossbars reproduce the integer matrix products exactly when ideal."""

from types import SimpleNamespace

import numpy as np
import pytest

from tinymem.imc.crossbar_backend import CrossbarBackend
from tinymem.imc.crossbar_layer import CrossbarLayer, bit_slices
from tinymem.imc.device import Device
from tinymem.ops.conv2d import conv_matmul


@pytest.mark.parametrize("device", [Device.ideal(), Device.ideal(levels=16, dac_bits=1),
                                    Device.ideal(levels=4, dac_bits=3, tile_rows=64, tile_cols=16)])
def test_fully_connected_accumulators_exact(device):
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (40, 300)).astype(np.int8)
    x = rng.integers(-128, 128, (6, 300)).astype(np.int8)
    bias = rng.integers(-1000, 1000, 40)
    ref = (x.astype(np.int64) - 5) @ w.astype(np.int64).T + bias
    got = CrossbarLayer(w, 0, device).accumulate(x, 5, bias)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, ref)


def test_weight_zero_point_per_output():
    rng = np.random.default_rng(1)
    w = rng.integers(0, 256, (8, 50)).astype(np.uint8)
    zp = rng.integers(100, 150, 8)
    x = rng.integers(-128, 128, (3, 50)).astype(np.int8)
    ref = x.astype(np.int64) @ (w.astype(np.int64) - zp[:, None]).T
    got = CrossbarLayer(w, zp, Device.ideal(levels=16, dac_bits=2)).accumulate(x)
    np.testing.assert_array_equal(got, ref)


def _conv_reference(x, w, zp, stride, pads):
    b, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    xp = np.full((b, h + pads[0] + pads[1], wd + pads[2] + pads[3], c), zp, np.int64)
    xp[:, pads[0]:pads[0] + h, pads[2]:pads[2] + wd] = x
    oh = (xp.shape[1] - kh) // stride[0] + 1
    ow = (xp.shape[2] - kw) // stride[1] + 1
    out = np.zeros((b, oh, ow, o), np.int64)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw] - zp
            out[:, i, j] = np.einsum("bhwc,ohwc->bo", patch, w.astype(np.int64))
    return out


def test_conv2d_accumulators_exact():
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (2, 9, 7, 3)).astype(np.int8)
    w = rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8)
    ref = _conv_reference(x, w, -7, (2, 1), (1, 1, 0, 2))
    node = SimpleNamespace(op="conv2d", name="c", attrs={"strides": (2, 1), "pads": (1, 0, 1, 2)})
    backend = CrossbarBackend(Device.ideal(levels=16, dac_bits=4))  # im2col as in the reference interpreter
    got = conv_matmul(x.astype(np.int64) + 7, w, node, ref.shape[1:3], backend)
    np.testing.assert_array_equal(got, ref)


def test_bit_slices_from_the_most_significant_bit():
    mag = np.array([0, 1, 100, 127])
    slices = bit_slices(mag, 4)
    assert [shift for shift, _ in slices] == [3, 0]  # bits 6-3, then 2-0
    assert slices[0][1].max() == 15 and slices[1][1].max() <= 7
    np.testing.assert_array_equal(sum(part << shift for shift, part in slices), mag)


def test_device_settings_give_bounded_errors():
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (16, 256)).astype(np.int8)
    x = rng.integers(-128, 128, (20, 256)).astype(np.int8)
    ref = x.astype(np.int64) @ w.astype(np.int64).T
    layer = CrossbarLayer(w, 0, Device(prog_noise=0.005, read_noise=0.002, t_inference=0.0))
    layer.calibrate(x)
    got = layer.accumulate(x)
    rel = np.abs(got - ref).mean() / np.abs(ref).mean()
    assert 0 < rel < 0.2
    assert layer.n_tiles == 2 and layer.energy_counts().adc_conversions > 0
