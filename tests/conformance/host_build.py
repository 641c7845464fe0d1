"""Host builds for the conformance suite, cheaper than `tinymem.sim.host.run_host` for hundreds
of tiny models: each kernel source is compiled once (-O0, keyed by its content and the runtime
headers) and reused by every case that calls it, so a case compiles only its model.c, weights.c
and main_host.c. Same warnings as the host simulator (-Wall -Wextra -Werror); the I/O protocol
of main_host.c is the host simulator's (inputs then outputs as raw arrays in model order).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinymem.errors import TinymemError, ToolchainError
from tinymem.ir import np_dtype
from tinymem.sim.host import WARNINGS, find_compiler, io_descriptors

FLAGS = WARNINGS + ["-O0"]


class KernelCache:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.cc = find_compiler()

    def _compile(self, cmd: list[str]) -> None:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise ToolchainError(f"host build failed:\n{r.stderr.strip()}")

    def obj(self, src: Path, include: Path, headers: bytes) -> Path:
        key = hashlib.sha256(src.read_bytes() + headers + " ".join(FLAGS).encode()).hexdigest()[:24]
        obj = self.root / f"{src.stem}_{key}.o"
        if not obj.exists():
            fd, tmp = tempfile.mkstemp(suffix=".o", dir=self.root)
            os.close(fd)
            self._compile([self.cc, *FLAGS, "-I", str(include), "-c", str(src), "-o", tmp])
            os.replace(tmp, obj)  # atomic: concurrent builders of the same kernel agree
        return obj

    def build(self, out: Path) -> Path:
        include = out / "include"
        headers = b"".join(p.read_bytes() for p in sorted(include.rglob("*.h")))
        objs = [self.obj(k, include, headers) for k in sorted((out / "kernels").glob("*.c"))]
        exe = out / "host_model_conformance"
        self._compile([self.cc, *FLAGS, "-I", str(out), "-I", str(include),
                       *(str(out / f) for f in ("model.c", "weights.c", "main_host.c")),
                       *map(str, objs), "-o", str(exe), "-lm"])
        return exe


def run(out: Path, inputs: list[np.ndarray], cache: KernelCache) -> list[np.ndarray]:
    exe = cache.build(out)
    in_desc, out_desc = io_descriptors(out)
    fin, fout = out / "in.bin", out / "out.bin"
    with open(fin, "wb") as f:
        for x, d in zip(inputs, in_desc):
            f.write(np.ascontiguousarray(np.asarray(x).astype(np_dtype(d["dtype"])).reshape(d["shape"])).tobytes())
    r = subprocess.run([str(exe), str(fin), str(fout), "1"], capture_output=True, text=True)
    if r.returncode != 0:
        raise TinymemError(f"host model failed (exit {r.returncode}): {r.stderr.strip()}")
    raw, pos, outs = fout.read_bytes(), 0, []
    for d in out_desc:
        dt = np_dtype(d["dtype"])
        n = int(np.prod(d["shape"], dtype=np.int64))
        outs.append(np.frombuffer(raw, dtype=dt, count=n, offset=pos).reshape(d["shape"]).copy())
        pos += n * dt.itemsize
    return outs
