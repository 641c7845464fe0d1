"""`load_fsdd`: the Free Spoken Digit Dataset (`<digit>_<speaker>_<take>.wav`, 8 kHz mono PCM)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import wavfile


@dataclass
class Recording:
    digit: int
    speaker: str
    take: int
    rate: int
    audio: np.ndarray  # float32 in [-1, 1]


def _to_float(audio: np.ndarray) -> np.ndarray:
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    if np.issubdtype(audio.dtype, np.integer):
        return (audio / float(np.iinfo(audio.dtype).max + 1)).astype(np.float32)
    return audio.astype(np.float32)


def load_fsdd(data_dir: str | Path, digits=None, speakers=None) -> list[Recording]:
    """All recordings in `data_dir`/fsdd, sorted by (speaker, digit, take) for determinism."""
    out = []
    for path in sorted((Path(data_dir) / "fsdd").glob("*.wav")):
        parts = path.stem.split("_")
        if len(parts) != 3:
            continue
        digit, speaker, take = int(parts[0]), parts[1], int(parts[2])
        if digits is not None and digit not in digits:
            continue
        if speakers is not None and speaker not in speakers:
            continue
        rate, audio = wavfile.read(path)
        out.append(Recording(digit, speaker, take, int(rate), _to_float(audio)))
    out.sort(key=lambda r: (r.speaker, r.digit, r.take))
    return out
