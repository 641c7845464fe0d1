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
    """compiled(name) -> the directory of `tinymem compile ../shared/models/<name>.tflite` (once)."""
    from tinymem.compile import compile_model

    cache = {}

    def get(name: str):
        if name not in cache:
            out = tmp_path_factory.mktemp(name) / "out"
            compile_model(shared / "models" / f"{name}.tflite", out)
            cache[name] = out
        return cache[name]

    return get
