"""Host harness of the memory head: `main_memory.c` (written into every project compiled with
--memory-head) and `run_memory_host`, which builds and drives it.

    host_memory COMMAND_FILE RESULT_FILE

COMMAND_FILE is a sequence of records, one byte of command first:
  'W' int32 label, then every input's bytes: run the model, then memory_write(label)
  'C' then every input's bytes: run the model, then memory_classify
  'X' memory_clear   'S' state_save to a buffer   'L' state_load from it   'R' reset_state
RESULT_FILE gets 16 bytes per record: int32 status, int32 label (classify; -1 otherwise),
distance (int32 or float32: the model's distance type; 0 otherwise), int32 memory_count().
Exit codes: 0 ok (statuses are in the results), 2 usage or I/O error.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinymem.errors import InputError, TinymemError, ToolchainError

HARNESS = r"""/*
 * Host harness of the episodic memory head (generated; tinymem/episodic/harness.py documents the
 * command and result files).   usage: host_memory COMMAND_FILE RESULT_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int read_inputs(FILE *in)
{
    for (int32_t i = 0; i < @P@_NUM_INPUTS; ++i) {
        size_t n = @p@_inputs[i].bytes;
        if (fread(@p@_input_ptr(i), 1, n, in) != n)
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static uint8_t saved[@P@_STATE_BYTES > 0 ? @P@_STATE_BYTES : 1];
    if (argc != 3) {
        fprintf(stderr, "usage: %s COMMAND_FILE RESULT_FILE\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "cannot open %s\n", !in ? argv[1] : argv[2]);
        return 2;
    }
    tm_status status = @p@_init();
#ifdef @P@_IO_EXTERNAL
    {
        const void *ins[@P@_NUM_INPUTS > 0 ? @P@_NUM_INPUTS : 1];
        void *outs[@P@_NUM_OUTPUTS > 0 ? @P@_NUM_OUTPUTS : 1];
        for (int32_t i = 0; i < @P@_NUM_INPUTS; ++i)
            ins[i] = calloc(1, @p@_inputs[i].bytes + 16u);
        for (int32_t i = 0; i < @P@_NUM_OUTPUTS; ++i)
            outs[i] = calloc(1, @p@_outputs[i].bytes + 16u);
        if (status == TM_OK)
            status = @p@_set_io(ins, outs);
    }
#endif
    if (status != TM_OK) {
        fprintf(stderr, "init failed with status %d\n", (int)status);
        return 3;
    }
    int c;
    while ((c = fgetc(in)) != EOF) {
        int32_t result[4] = {0, -1, 0, 0};
        @p@_distance distance = 0;
        int32_t label = 0;
        if (c == 'W' && fread(&label, 4, 1, in) != 1)
            c = -2;
        if ((c == 'W' || c == 'C') && !read_inputs(in))
            c = -2;
        switch (c) {
        case 'W':
            status = @p@_run();
            result[0] = (int32_t)(status != TM_OK ? status : @p@_memory_write(label));
            break;
        case 'C':
            status = @p@_run();
            result[0] = (int32_t)(status != TM_OK ? status : @p@_memory_classify(&result[1], &distance));
            memcpy(&result[2], &distance, 4);
            break;
        case 'X': result[0] = (int32_t)@p@_memory_clear(); break;
        case 'S': result[0] = (int32_t)@p@_state_save(saved, @P@_STATE_BYTES); break;
        case 'L': result[0] = (int32_t)@p@_state_load(saved, @P@_STATE_BYTES); break;
        case 'R': result[0] = (int32_t)@p@_reset_state(); break;
        default:
            fprintf(stderr, "bad or truncated command record (%d)\n", c);
            return 2;
        }
        result[3] = @p@_memory_count();
        fwrite(result, 4, 4, out);
    }
    fclose(in);
    return fclose(out) != 0 ? 2 : 0;
}
"""


def harness_c(prefix: str) -> str:
    return HARNESS.replace("@P@", prefix.upper()).replace("@p@", prefix)


def build_memory_host(out: str | Path, profile: str = "release", cc: str | None = None) -> Path:
    """Compile OUT/main_memory.c with the model (cached by a hash of sources and flags)."""
    from tinymem.sim.host import PROFILES, WARNINGS, find_compiler

    out = Path(out)
    if not (out / "main_memory.c").exists():
        raise InputError(f"{out} has no memory head (compile with --memory-head knn)")
    compiler = find_compiler(cc)
    flags = WARNINGS + PROFILES[profile] + ["-I", str(out), "-I", str(out / "include")]
    sources = [out / "model.c", out / "weights.c", out / "main_memory.c"] + sorted((out / "kernels").glob("*.c"))
    digest = hashlib.sha256(" ".join([compiler] + flags).encode())
    for path in sources + sorted((out / "include").rglob("*.h")) + [out / "model.h", out / "weights.h"]:
        digest.update(path.read_bytes())
    build = out / "build"
    exe, stamp = build / f"host_memory_{profile}", build / f"host_memory_{profile}.sha256"
    if exe.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return exe
    build.mkdir(exist_ok=True)
    result = subprocess.run([compiler, *flags, *map(str, sources), "-o", str(exe), "-lm"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ToolchainError(f"memory harness build failed:\n{result.stderr.strip()}")
    stamp.write_text(digest.hexdigest())
    return exe


def _input_bytes(inputs) -> bytes:
    arrays = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    return b"".join(np.ascontiguousarray(x).tobytes() for x in arrays)


def run_memory_host(out: str | Path, commands: list[tuple], profile: str = "release") -> list[tuple]:
    """Run `commands` in one process; returns one (status, label, distance, count) per command.

    commands: ("write", inputs, label), ("classify", inputs), ("clear",), ("save",), ("load",),
    ("reset",); inputs are the model's input arrays (one array for single-input models), already
    in the input's dtype (quantized for int8 inputs)."""
    import json

    out = Path(out)
    exe = build_memory_host(out, profile)
    report = json.loads((out / "report.json").read_text())
    dist_dtype = np.int32 if report["memory_head"]["distance_dtype"] == "s32" else np.float32
    in_bytes = sum(d["bytes"] for d in report["inputs"])
    blob = bytearray()
    for cmd in commands:
        kind = cmd[0]
        if kind in ("write", "classify"):
            data = _input_bytes(cmd[1])
            if len(data) != in_bytes:
                raise InputError(f"{kind}: {len(data)} input bytes given, the model takes {in_bytes}")
            blob += b"W" + np.int32(cmd[2]).tobytes() + data if kind == "write" else b"C" + data
        else:
            blob += {"clear": b"X", "save": b"S", "load": b"L", "reset": b"R"}[kind]
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = Path(tmp) / "commands.bin", Path(tmp) / "results.bin"
        fin.write_bytes(bytes(blob))
        result = subprocess.run([str(exe), str(fin), str(fout)], capture_output=True, text=True)
        if result.returncode != 0:
            raise TinymemError(f"memory harness failed (exit {result.returncode}): {result.stderr.strip()}")
        raw = fout.read_bytes()
    rec = np.frombuffer(raw, np.int32).reshape(-1, 4)
    dist = np.frombuffer(raw, dist_dtype).reshape(-1, 4)[:, 2]
    return [(int(r[0]), int(r[1]), dist[i].item(), int(r[3])) for i, r in enumerate(rec)]
