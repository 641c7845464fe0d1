"""`load_dataset`: model inputs from a folder of real data.

Understood folders:
  - MLPerf Tiny stimuli (a folder with y_labels.csv and raw files): KWS files are the int8 input
    tensor; IC and VWW files are uint8 HWC images (IC real value = pixel, VWW real value =
    pixel / 255), quantized to the model's input; AD files are float32 log-mel frames cut into
    windows of the label row's window/stride.
  - any folder of .npy files (one input each) or .npz files (keyed by input name).
Returns a list of (sample name, [one array per model input], label or None).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from tinymem.errors import InputError
from tinymem.ir.dtypes import np_dtype


def _quantize(real: np.ndarray, desc: dict) -> np.ndarray:
    dt = np_dtype(desc["dtype"])
    if desc["dtype"] == "f32":
        return real.astype(np.float32)
    info = np.iinfo(dt)
    q = np.round(real / desc["scale"]) + desc["zero_point"]
    return np.clip(q, info.min, info.max).astype(dt)


def _mlperf(folder: Path, desc: dict) -> list[tuple[str, list[np.ndarray], int | None]]:
    rows = list(csv.reader(open(folder / "y_labels.csv")))
    shape = tuple(desc["shape"])
    out = []
    for row in rows:
        if not row or not (folder / row[0]).exists():
            continue
        raw = (folder / row[0]).read_bytes()
        label = int(row[2])
        kind = folder.name.rstrip("0123456789")
        if kind == "kws":
            if desc["dtype"] != "s8":
                raise InputError(f"{folder}: KWS stimuli are the int8 model's input tensor; "
                                 f"this model's input is {desc['dtype']}")
            out.append((row[0], [np.frombuffer(raw, np.int8).reshape(shape).copy()], label))
        elif kind in ("ic", "vww"):
            pixels = np.frombuffer(raw, np.uint8).astype(np.float32).reshape(shape)
            real = pixels if kind == "ic" else pixels / 255.0
            out.append((row[0], [_quantize(real, desc)], label))
        elif kind == "ad":
            window, stride = int(row[3]), int(row[4])
            frames = np.frombuffer(raw, np.float32)
            per = window // 4
            for k, start in enumerate(range(0, frames.size - per + 1, stride // 4)):
                x = frames[start:start + per].reshape(shape)
                out.append((f"{row[0]}#{k}", [_quantize(x, desc)], label))
        else:
            raise InputError(f"{folder}: unknown MLPerf stimulus folder (expected kws*, ic*, vww*, ad*)")
    return out


def load_dataset(folder: str | Path, inputs: list[dict], limit: int | None = None):
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: data folder not found")
    if (folder / "y_labels.csv").exists():
        if len(inputs) != 1:
            raise InputError(f"{folder}: MLPerf stimuli feed single-input models")
        samples = _mlperf(folder, inputs[0])
    else:
        samples = []
        for path in sorted(folder.iterdir()):
            if path.suffix == ".npy":
                samples.append((path.name, [np.load(path)], None))
            elif path.suffix == ".npz":
                z = np.load(path)
                samples.append((path.name, [z[d["name"]] for d in inputs], None))
        if not samples:
            raise InputError(f"{folder}: no .npy/.npz inputs and no y_labels.csv")
    return samples[:limit] if limit else samples
