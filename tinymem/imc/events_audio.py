"""Cochlear spikes from audio, in the manner of N-TIDIGITS (a 64-channel silicon cochlea).

N-TIDIGITS (Anumula et al., Front. Neurosci. 2018) played TIDIGITS through the CochleaAMS1b:
64 band-pass channels (log-spaced centre frequencies) whose half-wave rectified outputs drive
spiking neurons. Here: automatic gain control (the recording is scaled to a fixed RMS), a bank of
`channels` 4th-order gammatone band-pass filters with ERB-spaced centre frequencies, half-wave
rectification, the mean rectified amplitude per time bin, log compression over `dynamic_db` below
the recording's loudest bin, and one integrate-and-fire neuron per channel driven by that level
(a sigma-delta spike train: at most one spike per channel per bin). The utterance is cut into
`steps` bins over its voiced extent (silence trimmed by an energy threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal


@dataclass(frozen=True)
class CochleaParams:
    channels: int = 64
    f_lo: float = 100.0  # Hz, lowest centre frequency
    f_hi: float = 3600.0  # Hz, highest (below Nyquist of 8 kHz audio)
    steps: int = 129  # time bins per utterance (the paper's T for N-TIDIGITS)
    dynamic_db: float = 50.0  # levels this far below the loudest bin give no spikes
    trim_db: float = 35.0  # frames this far below the loudest are trimmed at both ends
    gain: float = 1.0  # drive of the IF neurons per unit of compressed level


def erb_space(f_lo: float, f_hi: float, n: int) -> np.ndarray:
    """`n` centre frequencies equally spaced on the ERB-rate scale (Glasberg & Moore 1990)."""
    def erb_rate(f):
        return 21.4 * np.log10(1 + 0.00437 * f)
    e = np.linspace(erb_rate(f_lo), erb_rate(f_hi), n)
    return (10 ** (e / 21.4) - 1) / 0.00437


def _filterbank(rate: int, p: CochleaParams):
    return [signal.gammatone(f, "iir", fs=rate) for f in erb_space(p.f_lo, p.f_hi, p.channels)]


def _trim(audio: np.ndarray, rate: int, p: CochleaParams) -> np.ndarray:
    frame = max(1, rate // 100)
    n = len(audio) // frame
    if n < 2:
        return audio
    e = (audio[:n * frame].reshape(n, frame) ** 2).mean(axis=1) + 1e-12
    db = 10 * np.log10(e / e.max())
    keep = np.nonzero(db > -p.trim_db)[0]
    return audio[keep[0] * frame:(keep[-1] + 1) * frame]


def cochlea_levels(audio: np.ndarray, rate: int, p: CochleaParams = CochleaParams(),
                   bank=None) -> np.ndarray:
    """Compressed channel levels [steps, channels] in [0, 1] of one recording."""
    x = _trim(np.asarray(audio, np.float64), rate, p)
    x = x / (np.sqrt(np.mean(x ** 2)) + 1e-9)  # automatic gain control
    bank = bank or _filterbank(rate, p)
    out = np.stack([np.maximum(signal.lfilter(b, a, x), 0) for b, a in bank])  # [C, L]
    edges = np.linspace(0, out.shape[1], p.steps + 1).astype(int)
    edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
    amp = np.stack([out[:, a:max(b, a + 1)].mean(axis=1) if a < out.shape[1] else np.zeros(len(bank))
                    for a, b in zip(edges[:-1], edges[1:])])  # [steps, C]
    db = 20 * np.log10(amp / (amp.max() + 1e-12) + 1e-12)
    return np.clip(1 + db / p.dynamic_db, 0, 1)


def cochlea_spikes(audio: np.ndarray, rate: int, p: CochleaParams = CochleaParams(),
                   bank=None) -> np.ndarray:
    """Spike frames [steps, channels] (uint8 0/1): integrate-and-fire on the compressed levels."""
    level = cochlea_levels(audio, rate, p, bank) * p.gain
    v = np.zeros(level.shape[1])
    out = np.zeros(level.shape, dtype=np.uint8)
    for t in range(level.shape[0]):
        v += level[t]
        fire = v >= 1.0
        out[t] = fire
        v[fire] -= 1.0
    return out


def audio_frames(recordings, p: CochleaParams = CochleaParams()) -> np.ndarray:
    """Spike frames [N, steps, channels] of `fsdd.Recording`s (filters built once per rate)."""
    banks: dict = {}
    out = np.zeros((len(recordings), p.steps, p.channels), dtype=np.uint8)
    for i, r in enumerate(recordings):
        if r.rate not in banks:
            banks[r.rate] = _filterbank(r.rate, p)
        out[i] = cochlea_spikes(r.audio, r.rate, p, banks[r.rate])
    return out
