"""The host simulator: build a generated project with the host C compiler and run it.

`build_host` compiles once per distinct set of sources and flags (a stamp in OUT/build records
their hash); `run_host` feeds inputs through files to the harness in main_host.c.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinymem.errors import InputError, TinymemError, ToolchainError
from tinymem.ir import np_dtype

WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
PROFILES = {
    "release": ["-O2"],
    "sanitize": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                 "-fno-omit-frame-pointer"],
}


def find_compiler(cc: str | None = None) -> str:
    cc = cc or os.environ.get("CC", "cc")
    path = shutil.which(cc)
    if path is None:
        raise ToolchainError(f"C compiler '{cc}' not found: install gcc or clang, or set CC")
    return path


def _sources(out: Path) -> list[Path]:
    return [out / "model.c", out / "weights.c", out / "main_host.c"] + sorted((out / "kernels").glob("*.c"))


def build_host(out: str | Path, profile: str = "release", cc: str | None = None) -> Path:
    out = Path(out)
    if not (out / "report.json").exists():
        raise InputError(f"{out} is not a tinymem output directory (no report.json); run `tinymem compile` first")
    compiler = find_compiler(cc)
    flags = WARNINGS + PROFILES[profile] + ["-I", str(out), "-I", str(out / "include")]
    sources = _sources(out)
    digest = hashlib.sha256(" ".join([compiler] + flags).encode())
    for path in sources + sorted((out / "include").rglob("*.h")) + [out / "model.h", out / "weights.h"]:
        digest.update(path.read_bytes())
    build = out / "build"
    exe = build / f"host_model_{profile}"
    stamp = build / f"host_model_{profile}.sha256"
    if exe.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return exe
    build.mkdir(exist_ok=True)
    cmd = [compiler, *flags, *map(str, sources), "-o", str(exe), "-lm"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ToolchainError(f"host build failed ({Path(compiler).name}):\n{result.stderr.strip()}")
    stamp.write_text(digest.hexdigest())
    return exe


def io_descriptors(out: str | Path) -> tuple[list[dict], list[dict]]:
    report = json.loads((Path(out) / "report.json").read_text())
    return report["inputs"], report["outputs"]


def _check_input(x: np.ndarray, desc: dict, steps: int) -> np.ndarray:
    want = tuple(desc["shape"]) if steps == 1 else (steps, *desc["shape"])
    x = np.asarray(x)
    if x.shape != want and x.size == int(np.prod(want)) and steps == 1:
        x = x.reshape(want)
    if x.shape != want:
        raise InputError(f"input {desc['name']!r}: shape {list(x.shape)} given, model needs {list(want)}")
    dt = np_dtype(desc["dtype"])
    if x.dtype != dt:
        if np.issubdtype(dt, np.integer) and not np.issubdtype(x.dtype, np.integer):
            raise InputError(f"input {desc['name']!r}: dtype {x.dtype} given, model needs {dt} "
                             f"(quantize it first: scale {desc.get('scale')}, zero point {desc.get('zero_point')})")
        x = x.astype(dt)
    return x


def run_host(out: str | Path, inputs: list[np.ndarray], steps: int = 1, profile: str = "release",
             params: bytes | None = None) -> list[np.ndarray]:
    """Run the compiled model; with steps > 1 each input has a leading step axis (state carries).
    params: a params blob (tinymem.params.pack_params) loaded before the first step (--updatable)."""
    out = Path(out)
    exe = build_host(out, profile)
    in_desc, out_desc = io_descriptors(out)
    if len(inputs) != len(in_desc):
        raise InputError(f"model has {len(in_desc)} input(s), {len(inputs)} given")
    arrays = [_check_input(x, d, steps) for x, d in zip(inputs, in_desc)]
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        with open(fin, "wb") as f:
            for s in range(steps):
                for x in arrays:
                    f.write(np.ascontiguousarray(x if steps == 1 else x[s]).tobytes())
        extra = []
        if params is not None:
            (Path(tmp) / "params.bin").write_bytes(bytes(params))
            extra = [f"--params={Path(tmp) / 'params.bin'}"]
        result = subprocess.run([str(exe), str(fin), str(fout), str(steps), *extra], capture_output=True, text=True)
        if result.returncode != 0:
            raise TinymemError(f"host model failed (exit {result.returncode}): {result.stderr.strip()}")
        raw = fout.read_bytes()
    outputs = [[] for _ in out_desc]
    pos = 0
    for _ in range(steps):
        for i, d in enumerate(out_desc):
            dt = np_dtype(d["dtype"])
            n = int(np.prod(d["shape"], dtype=np.int64))
            outputs[i].append(np.frombuffer(raw, dtype=dt, count=n, offset=pos).reshape(d["shape"]))
            pos += n * dt.itemsize
    return [o[0].copy() if steps == 1 else np.stack(o) for o in outputs]
