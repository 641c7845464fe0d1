"""Event data: the N-MNIST reader on a real recording, simulated saccades, cochlear spikes."""

import numpy as np
import pytest

from tinymem.imc.events_audio import CochleaParams, cochlea_spikes, erb_space
from tinymem.imc.events_image import (SaccadeParams, bin_events, crop_window, saccade_events,
                                      saccade_frames)
from tinymem.imc.nmnist import EVENT_DTYPE, decode_nmnist, encode_nmnist, read_nmnist


def test_nmnist_reader_on_the_real_sample(data_dir):
    ev = read_nmnist(data_dir / "events" / "nmnist_sample.bin")
    raw = (data_dir / "events" / "nmnist_sample.bin").read_bytes()
    assert ev.size == len(raw) // 5
    assert 1000 < ev.size < 20000  # N-MNIST samples hold a few thousand events
    assert ev["x"].max() < 34 and ev["y"].max() < 34
    assert np.all(np.diff(ev["t"].astype(np.int64)) >= 0)  # monotonic timestamps
    assert set(np.unique(ev["p"])) == {0, 1}
    assert 0.3 < ev["p"].mean() < 0.7
    assert 250_000 < ev["t"].max() < 350_000  # three saccades of about 100 ms
    # first event decoded by hand from its 5 bytes
    b = raw[:5]
    word = (b[2] << 16) | (b[3] << 8) | b[4]
    assert (ev[0]["x"], ev[0]["y"], ev[0]["p"], ev[0]["t"]) == (b[0], b[1], word >> 23, word & 0x7FFFFF)


def test_nmnist_roundtrip():
    ev = np.zeros(3, EVENT_DTYPE)
    ev["x"], ev["y"], ev["p"], ev["t"] = [1, 33, 0], [2, 0, 33], [1, 0, 1], [0, 5, (1 << 23) - 1]
    np.testing.assert_array_equal(decode_nmnist(encode_nmnist(ev)), ev)
    with pytest.raises(ValueError):
        decode_nmnist(b"\x00" * 7)


def _digit():
    img = np.zeros((28, 28), np.uint8)
    img[6:22, 12:16] = 255  # a bar: a "1"
    return img


def test_saccade_events_properties():
    ev = saccade_events(_digit())
    assert 200 < ev.size < 20000
    assert ev["x"].max() < 34 and ev["y"].max() < 34
    assert np.all(np.diff(ev["t"].astype(np.int64)) >= 0) and ev["t"].max() < 300_000
    # only pixels the moving bar covers can fire: rows 6..22+6, cols 12..16+6 (+1 interpolation)
    assert ev["y"].min() >= 6 and ev["y"].max() <= 28 and ev["x"].min() >= 12 and ev["x"].max() <= 22
    # the path is closed: each pixel's log intensity returns, so ON and OFF counts nearly cancel
    on = np.zeros((34, 34), int)
    off = np.zeros((34, 34), int)
    np.add.at(on, (ev["y"][ev["p"] == 1], ev["x"][ev["p"] == 1]), 1)
    np.add.at(off, (ev["y"][ev["p"] == 0], ev["x"][ev["p"] == 0]), 1)
    assert np.abs(on - off).max() <= 1
    # activity in each of the three saccades
    per = np.bincount(ev["t"] // 100_000, minlength=3)
    assert np.all(per > 0.1 * ev.size)


def test_blank_image_gives_no_events_and_is_deterministic():
    assert saccade_events(np.zeros((28, 28), np.uint8)).size == 0
    a, b = saccade_events(_digit(), seed=1), saccade_events(_digit(), seed=1)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pool,polarity", [(1, "merge"), (2, "split")])
def test_frames_equal_binned_events(pool, polarity):
    p = SaccadeParams(noise_hz=5.0)
    img = _digit()
    frames = saccade_frames(img[None], 50, 16, polarity, p, seed=3, pool=pool)[0]
    ref = bin_events(saccade_events(img, p, seed=3), 50, p.duration_us, 16, polarity, pool)
    np.testing.assert_array_equal(frames, ref)
    assert crop_window(16, pool).stop - crop_window(16, pool).start == 16 * pool


def test_cochlea_tone_excites_the_matching_channel():
    rate, f = 8000, 1000.0
    t = np.arange(int(0.5 * rate)) / rate
    tone = 0.5 * np.sin(2 * np.pi * f * t)
    p = CochleaParams()
    spikes = cochlea_spikes(tone, rate, p)
    assert spikes.shape == (p.steps, p.channels) and set(np.unique(spikes)) <= {0, 1}
    cf = erb_space(p.f_lo, p.f_hi, p.channels)
    assert abs(cf[np.argmax(spikes.sum(axis=0))] - f) < 0.1 * f
    assert spikes[:, cf < 300].sum() < 0.2 * spikes[:, np.abs(cf - f) < 100].sum()


def test_erb_space_is_increasing_within_the_band():
    cf = erb_space(100, 3600, 64)
    assert cf[0] == pytest.approx(100) and cf[-1] == pytest.approx(3600)
    assert np.all(np.diff(cf) > 0) and np.all(np.diff(np.diff(cf)) > 0)  # log-like spacing


def test_fsdd_and_mnist_loaders(data_dir):
    from tinymem.imc.fsdd import load_fsdd
    from tinymem.imc.mnist import load_mnist

    images, labels = load_mnist(data_dir, limit=100)
    assert images.shape == (100, 28, 28) and labels.max() <= 9
    recs = load_fsdd(data_dir, digits=[3], speakers=["theo"])
    assert len(recs) == 50 and all(r.rate == 8000 and r.digit == 3 for r in recs)
    assert all(np.abs(r.audio).max() <= 1.0 for r in recs)
