"""Stateful models end to end: state carried across consecutive calls (and resets), generated C on
the host vs TFLM (`tflite-micro`) doing the same.

- tflm_mnist_lstm_int8 / _f32: the ten MNIST samples then 20 seeded random inputs as 30
  consecutive calls (TFLM keeps the LSTM's variable tensors between invokes), and each sample
  from a fresh state; int8 bit-exact, float within 1e-4.
- mww_okay_nabu (resource variables + CALL_ONCE): 500 consecutive log-mel-like frames, with
  MicroInterpreter::Reset() / reset_state() before frame 250, bit-identical at every step.
- `verify --steps` names the first differing step and element.
"""

from pathlib import Path

import numpy as np
import pytest

from tests.ops.stateful import run_host_steps, run_tflm_steps
from tinymem.compile import compile_model
from tinymem.memory.heuristics import align_up
from tinymem.sim.references import run_tflm


def _mnist_samples(shared: Path, desc: dict) -> np.ndarray:
    """The ten 28x28 sample images as the model's [1, 28, 28] input (real value = pixel / 255)."""
    from PIL import Image

    xs = []
    for k in range(10):
        img = np.asarray(Image.open(shared / "data" / "samples" / f"tflm_mnist_sample{k}.png").convert("L"))
        real = img.astype(np.float32) / np.float32(255.0)
        if desc["dtype"] == "f32":
            xs.append(real.reshape(desc["shape"]))
        else:
            q = np.round(real / np.float32(desc["scale"])) + desc["zero_point"]
            xs.append(np.clip(q, -128, 127).astype(np.int8).reshape(desc["shape"]))
    return np.stack(xs)


def _check_state_report(report: dict, names: int):
    state = report["state"]
    assert len(state) == names
    assert report["ram"]["state_bytes"] == sum(align_up(s["bytes"], 16) for s in state) > 0
    assert report["ram"]["total_bytes"] == report["ram"]["arena_bytes"] + report["ram"]["state_bytes"]
    in_arena = {t for b in report["memory"]["buffers"] for t in b["tensors"]}
    assert not in_arena & {s["name"] for s in state}  # state never lives in the arena


@pytest.mark.parametrize("model", ["tflm_mnist_lstm_int8", "tflm_mnist_lstm_f32"])
def test_mnist_lstm(shared, model, tmp_path):
    path = shared / "models" / f"{model}.tflite"
    out = tmp_path / "out"
    report = compile_model(path, out)
    _check_state_report(report, 2)  # hidden and cell state
    desc = report["inputs"][0]
    rng = np.random.default_rng(0)
    if desc["dtype"] == "f32":
        rand = rng.uniform(0, 1, size=(20, *desc["shape"])).astype(np.float32)
    else:
        rand = rng.integers(-128, 128, size=(20, *desc["shape"])).astype(np.int8)
    x = np.concatenate([_mnist_samples(shared, desc), rand])
    data = path.read_bytes()
    want = run_tflm(data, [x], steps=30)[0]
    got = run_host_steps(out, [x], 30)[0]
    # each sample from a fresh state as well: reset_state() before every call vs a new interpreter
    want_fresh = np.concatenate([run_tflm(data, [x[k]]) for k in range(30)])
    got_fresh = run_host_steps(out, [x], 30, reset_at=range(30))[0]
    for g, w in ((got, want), (got_fresh, want_fresh.reshape(got_fresh.shape))):
        if desc["dtype"] == "f32":
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-4)
        else:
            bad = np.argwhere(g != w)
            assert bad.size == 0, f"first difference at step/element {bad[0]}: {g[tuple(bad[0])]} vs {w[tuple(bad[0])]}"
    assert not np.array_equal(got, got_fresh)  # the carried state matters
    digits = got_fresh[:10].reshape(10, -1).argmax(axis=1)
    assert len(set(digits.tolist())) >= 8  # the samples are recognised as different digits


def test_mww_okay_nabu_500_frames_with_reset(shared, tmp_path):
    path = shared / "models" / "mww_okay_nabu.tflite"
    out = tmp_path / "out"
    report = compile_model(path, out)
    _check_state_report(report, 6)  # six streaming buffers
    x = np.random.default_rng(5).integers(-128, -39, size=(500, 1, 3, 40)).astype(np.int8)
    want = run_tflm_steps(path.read_bytes(), [x], 500, reset_at=(250,), tflm_reset="reset")[0]
    got = run_host_steps(out, [x], 500, reset_at=(250,))[0]
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"first difference at step {bad[0][0]}: {got[bad[0][0]].ravel()} vs {want[bad[0][0]].ravel()}"
    assert len(np.unique(want)) > 1
    # the reset really happened: after it the outputs repeat those of a fresh start on the same frames
    fresh = run_tflm(path.read_bytes(), [x[250:270]], steps=20)[0]
    assert np.array_equal(got[250:270], fresh)


def test_verify_steps_reports_first_difference(shared, monkeypatch):
    import tinymem.verify as verify

    real_run = verify.run_host

    def broken(out, inputs, steps=1, **kw):
        outs = real_run(out, inputs, steps=steps, **kw)
        outs[0][7].flat[0] += 1  # step 7, first element
        return outs

    monkeypatch.setattr(verify, "run_host", broken)
    result = verify.verify_model(shared / "models" / "tflm_hello_world_int8.tflite", steps=12)
    (o,) = result.outputs
    assert result.samples == 12 and not result.ok
    assert (o.first_bad_step, o.first_bad_index, o.differing) == (7, (0, 0), 1)
    assert o.first_bad_values[0] == o.first_bad_values[1] + 1


def test_cli_verify_steps(shared):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "tinymem", "verify", str(shared / "models" / "tflm_hello_world_int8.tflite"),
                        "--steps", "7"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "7 inputs" in r.stdout and "ok" in r.stdout
