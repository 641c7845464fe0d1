"""silero-vad v4 (ONNX: STFT conv, Log/Pow/Sqrt, two LSTMs, If on the sample rate) as a streaming
model: compiled with `--input-shape input=1x512 --const sr=16000`, its `h`/`c` inputs become
persistent state fed from `hn`/`cn` (detected by name), so `run` takes the 512-sample chunk only.

For each of the four 16 kHz clips in ../shared/data/samples (int16 -> float / 32768; the last
partial chunk zero-padded, as silero's own helpers do) every chunk's speech probability, with the
state carried from chunk to chunk, is within 1e-4 of onnxruntime doing the same (state fed back
by hand, zeros at the start of each clip); `verify --steps` agrees.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinymem.compile import CompileOptions, compile_model
from tinymem.sim.host import run_host
from tinymem.sim.references import run_onnxruntime
from tinymem.verify import verify_model

CLIPS = ["yes", "no", "silence", "noise"]
CHUNK = 512
OPTIONS = CompileOptions(input_shapes={"input": (1, CHUNK)}, consts={"sr": 16000.0})
MAX_DIFF: dict[str, float] = {}


def _chunks(path) -> np.ndarray:
    from scipy.io import wavfile

    rate, pcm = wavfile.read(path)
    assert rate == 16000 and pcm.dtype == np.int16
    audio = pcm.astype(np.float32) / np.float32(32768.0)
    n = -(-audio.size // CHUNK)
    audio = np.concatenate([audio, np.zeros(n * CHUNK - audio.size, np.float32)])
    return audio.reshape(n, 1, CHUNK)


@pytest.fixture(scope="module")
def compiled(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("silero") / "out"
    report = compile_model(shared / "models" / "silero_vad_v4.onnx", out, OPTIONS)
    return out, report


def test_state_is_persistent_and_reported(compiled):
    _, report = compiled
    assert [(d["name"], d["shape"]) for d in report["inputs"]] == [("input", [1, CHUNK])]
    assert [d["name"] for d in report["outputs"]] == ["output", "hn", "cn"]
    assert report["state_pairs"] == [{"input": "h", "output": "hn"}, {"input": "c", "output": "cn"}]
    assert {s["name"]: s["shape"] for s in report["state"]} == {"h": [2, 1, 64], "c": [2, 1, 64]}
    assert report["ram"]["state_bytes"] == 2 * 2 * 64 * 4
    assert report["ram"]["total_bytes"] == report["ram"]["arena_bytes"] + report["ram"]["state_bytes"]
    in_arena = {t for b in report["memory"]["buffers"] for t in b["tensors"]}
    assert not in_arena & {"h", "c"}  # state never lives in the arena


@pytest.mark.parametrize("clip", CLIPS)
def test_clip_chunks_match_onnxruntime(shared, compiled, clip):
    out, _ = compiled
    x = _chunks(shared / "data" / "samples" / f"tflm_{clip}_1000ms.wav")
    steps = len(x)
    got = run_host(out, [x], steps=steps)
    zeros = np.zeros((2, 1, 64), np.float32)
    want = run_onnxruntime(shared / "models" / "silero_vad_v4.onnx",
                           {"input": x, "sr": np.full(steps, 16000, np.int64), "h": zeros, "c": zeros},
                           steps=steps, state_pairs={"h": "hn", "c": "cn"})
    prob, prob_ref = got[0].reshape(steps), want[0].reshape(steps)
    MAX_DIFF[clip] = float(np.abs(prob - prob_ref).max())
    print(f"{clip}: {steps} chunks, speech probability max |diff| {MAX_DIFF[clip]:.3g}, "
          f"max probability {prob.max():.3f}")
    np.testing.assert_allclose(prob, prob_ref, rtol=0, atol=1e-4)
    for g, w in zip(got[1:], want[1:]):  # the state after every chunk
        np.testing.assert_allclose(g, w.reshape(g.shape), rtol=0, atol=1e-4)
    # the carried state matters: chunk by chunk from zero state gives other probabilities
    fresh = np.concatenate([run_host(out, [x[k]])[0].reshape(1) for k in range(min(steps, 4))])
    assert not np.allclose(fresh[1:], prob[1:len(fresh)], atol=1e-6)


def test_speech_is_told_from_silence(compiled, shared):
    out, _ = compiled
    probs = {}
    for clip in ("yes", "silence"):
        x = _chunks(shared / "data" / "samples" / f"tflm_{clip}_1000ms.wav")
        probs[clip] = run_host(out, [x], steps=len(x))[0].max()
    assert probs["yes"] > 0.5 > probs["silence"]


def test_verify_steps_with_state(shared):
    result = verify_model(shared / "models" / "silero_vad_v4.onnx", steps=8, options=OPTIONS)
    assert result.ok, [(o.name, o.max_abs_diff) for o in result.outputs]
    assert result.samples == 8 and result.report["state_pairs"]
