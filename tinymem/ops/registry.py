"""The operator registry: `register` (class decorator) and the lookups the pipeline uses."""

from __future__ import annotations

import importlib
import pkgutil

from tinymem.ops.op import Op

_BY_NAME: dict[str, Op] = {}
_BY_TFLITE: dict[str, Op] = {}
_BY_ONNX: dict[str, Op] = {}
_loaded = False


def register(cls: type[Op]) -> type[Op]:
    op = cls()
    for table, keys in ((_BY_NAME, (op.name,)), (_BY_TFLITE, op.tflite), (_BY_ONNX, op.onnx)):
        for key in keys:
            if key in table:
                raise RuntimeError(f"operator {key!r} registered twice")
            table[key] = op
    return cls


def _load_all() -> None:
    """Import every operator module of the package once (modules register themselves)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import tinymem.ops as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in ("op", "registry") and not info.name.startswith("_"):
            importlib.import_module(f"tinymem.ops.{info.name}")


def get_op(name: str) -> Op:
    _load_all()
    return _BY_NAME[name]


def tflite_op(name: str) -> Op | None:
    _load_all()
    return _BY_TFLITE.get(name)


def onnx_op(name: str) -> Op | None:
    _load_all()
    return _BY_ONNX.get(name)


def supported(kind: str) -> list[str]:
    """Sorted operator names a frontend supports: kind is 'tflite', 'onnx' or 'ir'."""
    _load_all()
    return sorted({"tflite": _BY_TFLITE, "onnx": _BY_ONNX, "ir": _BY_NAME}[kind])
