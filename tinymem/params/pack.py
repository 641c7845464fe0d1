"""`pack_params` / `unpack_params`: params blobs from new weights, on the host.

A blob is the params region byte for byte (`<prefix>_params_load`, the agent's PARAMS_WRITE):
report.json's "params" entry gives each layer's tensors with offset, bytes, shape, dtype and, for
int8 layers, the fixed quantization. Bytes between tensors (alignment padding) are zero.

Values per tensor (weights [out, in], bias [out]):
  float32 layer   any real array of that shape (cast to float32);
  int8 layer      integer arrays are taken as the quantized values (weights int8, bias int32) and
                  must be in range; real (floating) arrays are quantized with the layer's fixed
                  parameters, rounding half away from zero like the TFLite converter:
                  weights q = clamp(round(w / scale[o]) + zero_point[o]) (per-channel symmetric
                  weights clamp to [-127, 127], others to [-128, 127]), bias q = round(b /
                  (input_scale * weight_scale[o])) in int32.
Tensors or layers left out keep their value from `base` (a blob, e.g. `params_read()` from a
device); without `base` every tensor must be given.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tinymem.errors import InputError
from tinymem.ir.dtypes import np_dtype


def _params_entry(report) -> dict:
    if isinstance(report, (str, Path)):
        path = Path(report)
        report = json.loads((path / "report.json" if path.is_dir() else path).read_text())
    entry = report.get("params")
    if not entry or not entry.get("layers"):
        raise InputError("the model has no updatable parameters (compile it with --updatable LAYER)")
    return entry


def _find_layer(entry: dict, key: str) -> dict:
    for layer in entry["layers"]:
        if key in (layer["layer"], layer["node"]):
            return layer
    names = ", ".join(f"{layer['layer']} ({layer['node']})" for layer in entry["layers"])
    raise InputError(f"no updatable layer {key!r}; the model has: {names}")


def _round_away(v: np.ndarray) -> np.ndarray:
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _quantize(value: np.ndarray, t: dict, layer: dict) -> np.ndarray:
    dt = np_dtype(t["dtype"])
    shape = tuple(t["shape"])
    value = np.asarray(value)
    if value.shape != shape:
        raise InputError(f"layer {layer['layer']} {t['role']}: shape {list(value.shape)} given, "
                         f"{list(shape)} expected (weights are [out, in])")
    if t["dtype"] == "f32":
        return value.astype(np.float32)
    info = np.iinfo(dt)
    per_channel = "axis" in t
    lo = -127 if (t["role"] == "weights" and per_channel) else info.min
    if np.issubdtype(value.dtype, np.integer):
        if value.min(initial=0) < lo or value.max(initial=0) > info.max:
            raise InputError(f"layer {layer['layer']} {t['role']}: values outside [{lo}, {info.max}]")
        return value.astype(dt)
    scale = np.asarray(t["scale"], np.float64)
    v = value.astype(np.float64)
    if t["role"] == "weights":
        zp = np.asarray(t["zero_point"], np.float64)
        col = (slice(None),) + (None,) * (v.ndim - 1)
        q = _round_away(v / scale[col]) + zp[col] if scale.size > 1 else _round_away(v / scale[0]) + zp[0]
    else:  # bias: scale = input_scale * weight_scale (per output channel or per tensor)
        q = _round_away(v / scale) if scale.size > 1 else _round_away(v / scale[0])
    return np.clip(q, lo, info.max).astype(dt)


def pack_params(report, layers: dict, base: bytes | None = None) -> bytes:
    """The params blob with `layers` = {layer: {"weights": array, "bias": array}} (module doc).

    report: the report dict, report.json, or the compiled output directory. A layer key is the
    name given to --updatable or the IR node name."""
    entry = _params_entry(report)
    if base is not None and len(base) != entry["bytes"]:
        raise InputError(f"base blob has {len(base)} bytes, the params region {entry['bytes']}")
    blob = bytearray(base if base is not None else bytes(entry["bytes"]))
    given = {}
    for key, values in layers.items():
        layer = _find_layer(entry, key)
        unknown = set(values) - {t["role"] for t in layer["tensors"]}
        if unknown:
            raise InputError(f"layer {key!r}: unknown tensor(s) {sorted(unknown)} (weights, bias)")
        given[layer["node"]] = (layer, values)
    for layer in entry["layers"]:
        values = given.get(layer["node"], (layer, {}))[1]
        for t in layer["tensors"]:
            if t["role"] not in values:
                if base is None:
                    raise InputError(f"layer {layer['layer']}: {t['role']} not given (and no base blob)")
                continue
            raw = _quantize(values[t["role"]], t, layer).tobytes()
            assert len(raw) == t["bytes"]
            blob[t["offset"]:t["offset"] + t["bytes"]] = raw
    return bytes(blob)


def unpack_params(report, blob: bytes) -> dict:
    """{layer: {"weights": array, "bias": array}} (the stored, i.e. quantized, values)."""
    entry = _params_entry(report)
    if len(blob) != entry["bytes"]:
        raise InputError(f"blob has {len(blob)} bytes, the params region {entry['bytes']}")
    out = {}
    for layer in entry["layers"]:
        out[layer["layer"]] = {
            t["role"]: np.frombuffer(blob, np_dtype(t["dtype"]), int(np.prod(t["shape"])), t["offset"])
            .reshape(t["shape"]).copy() for t in layer["tensors"]}
    return out
