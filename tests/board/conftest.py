"""Board tests: firmware builds with arm-none-eabi-gcc + CMake, runs on QEMU mps2 machines.

A missing tool skips these tests on a developer's machine and fails them in CI (CI=true), where
.ci/run installs gcc-arm-none-eabi, libnewlib-arm-none-eabi, cmake and qemu-system-arm.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tinymem.sim.qemu import live_processes

TOOLS = ("arm-none-eabi-gcc", "cmake", "qemu-system-arm")


def require_tools(*tools: str) -> None:
    missing = [t for t in tools or TOOLS if shutil.which(t) is None]
    if missing:
        msg = f"board tests need {', '.join(missing)} (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi cmake qemu-system-arm)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def arm_tools():
    require_tools()


@pytest.fixture(autouse=True)
def no_leftover_qemu():
    """Every test in tests/board ends with no QEMU process of ours still running."""
    yield
    assert live_processes() == [], "a QEMU process outlived its test"


@pytest.fixture(scope="session")
def compiled(shared, tmp_path_factory):
    """compiled(name, board="host", **options) -> the directory of `tinymem compile
    ../shared/models/<name>.tflite --board <board>` with further CompileOptions (once per set). A
    board whose firmware uses the DSP kernels needs a plan made for it (their scratch), else
    `tinymem build` takes the portable ones."""
    from tinymem.compile import CompileOptions, compile_model

    cache = {}

    def get(name: str, board: str = "host", **options):
        key = (name, board, tuple(sorted(options.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(name) / "out"
            compile_model(shared / "models" / f"{name}.tflite", out, CompileOptions(board=board, **options))
            cache[key] = out
        return cache[key]

    return get
