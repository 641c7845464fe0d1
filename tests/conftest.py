"""Shared fixtures: where the real models and data live (../shared beside the project)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "models").is_dir():
        pytest.skip("../shared (real models and data) is not beside this clone")
    return SHARED
