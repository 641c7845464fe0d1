"""`load_model`: choose the frontend from the file's contents and name."""

from __future__ import annotations

from pathlib import Path

from tinymem.errors import ModelFormatError
from tinymem.ir import Graph


def load_model(path: str | Path, input_shapes: dict[str, tuple[int, ...]] | None = None,
               consts: dict[str, float] | None = None) -> Graph:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelFormatError(f"{path}: cannot read model file ({e.strerror})") from None
    if len(data) >= 8 and data[4:8] == b"TFL3":
        from tinymem.frontend.tflite import load_tflite

        return load_tflite(data, path.name, input_shapes or {})
    if path.suffix.lower() == ".tflite":
        raise ModelFormatError(f"{path}: not a TFLite flatbuffer (file identifier 'TFL3' missing)")
    if path.suffix.lower() == ".onnx":
        from tinymem.frontend.onnx import load_onnx

        return load_onnx(data, path.name, input_shapes or {}, consts or {})
    raise ModelFormatError(f"{path}: unknown model format (expected a .tflite or .onnx file)")
