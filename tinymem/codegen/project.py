"""`write_project`: write the generated C project into an output directory, all or nothing.

The files are first written into a temporary sibling directory which then replaces OUT, so a
failure never leaves a half-written OUT behind. An existing OUT is only replaced when it is a
previous tinymem output (it holds report.json) or empty.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from tinymem.errors import TinymemError

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "runtime_c"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def runtime_dir() -> Path:
    if not (RUNTIME_DIR / "include" / "tinymem").is_dir():
        raise TinymemError(f"the C runtime is missing (expected runtime_c beside the tinymem package)")
    return RUNTIME_DIR


def _template(name: str, prefix: str) -> str:
    text = (TEMPLATES / name).read_text()
    return text.replace("@PREFIX_UPPER@", prefix.upper()).replace("@PREFIX@", prefix)


def write_project(out: Path, prefix: str, sources: dict[str, str], kernels: set[str], report: dict,
                  pictures=None) -> None:
    """pictures(tmp_dir) draws any figures into the directory before it replaces OUT."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "report.json").exists())):
        raise TinymemError(f"{out} exists and is not a tinymem output directory; refusing to overwrite it")
    rt = runtime_dir()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for rel, text in sources.items():
            (tmp / rel).write_text(text)
        (tmp / "main_host.c").write_text(_template("main_host.c", prefix))
        (tmp / "CMakeLists.txt").write_text(_template("CMakeLists.txt", prefix))
        shutil.copytree(rt / "include", tmp / "include")
        (tmp / "kernels").mkdir()
        for k in sorted(kernels):
            src = rt / "kernels" / f"{k}.c"
            if not src.exists():
                raise TinymemError(f"kernel source {src.name} is missing from the runtime")
            shutil.copy2(src, tmp / "kernels" / src.name)
        (tmp / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        if pictures is not None:
            pictures(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
