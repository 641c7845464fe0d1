"""The C runtime builds warning-free with gcc and clang, and the root CMake project builds a
generated model that gives the same outputs as `tinymem run`."""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.test_cli import _fc_model
from tinymem.compile import compile_model
from tinymem.sim.host import run_host

ROOT = Path(__file__).resolve().parents[2]
KERNELS = sorted((ROOT / "runtime_c" / "kernels").glob("*.c"))


def _compiler(name):
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (.ci/run installs it)")
        pytest.skip(f"{name} not installed")
    return path


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_kernels_compile_without_warnings(cc, tmp_path):
    exe = _compiler(cc)
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
             "-I", str(ROOT / "runtime_c" / "include"), "-c"]
    # one compiler run for all kernels (objects land in tmp_path); the error text names the file
    r = subprocess.run([exe, *flags, *map(str, KERNELS)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, f"{cc}:\n{r.stderr}"


def test_root_cmake_builds_a_generated_model(tmp_path):
    _compiler("cmake")
    model = _fc_model(tmp_path)
    out = tmp_path / "out"
    compile_model(model, out)
    build = tmp_path / "build"
    for cmd in (["cmake", "-S", str(ROOT), "-B", str(build), f"-DTINYMEM_MODEL_DIR={out}"],
                ["cmake", "--build", str(build), "-j2"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    x = np.arange(-4, 4, dtype=np.int8).reshape(1, 8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    r = subprocess.run([str(build / "host_model"), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")])
    assert r.returncode == 0
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.int8)
    np.testing.assert_array_equal(got, run_host(out, [x])[0].reshape(-1))
