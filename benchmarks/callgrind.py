"""Count executed instructions (callgrind's ``Ir``) of a command.

    from benchmarks.callgrind import count_instructions
    n = count_instructions(["python", "run.py"], toggle_collect="*MicroInterpreter::Invoke*")

With ``toggle_collect`` set, only instructions executed while a function matching the pattern is
on the stack are counted (valgrind's ``--toggle-collect``); otherwise the whole program is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["count_instructions", "parse_callgrind_total"]


def parse_callgrind_total(path: str | os.PathLike, event: str = "Ir") -> int:
    """Total of ``event`` from a callgrind output file (its ``totals:`` or ``summary:`` line)."""
    events: list[str] = ["Ir"]
    totals: list[int] | None = None
    summary: list[int] | None = None
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("events:"):
                events = line.split(":", 1)[1].split()
            elif line.startswith("totals:"):
                totals = [int(v) for v in line.split(":", 1)[1].split()]
            elif line.startswith("summary:"):
                summary = [int(v) for v in line.split(":", 1)[1].split()]
    values = totals if totals is not None else summary
    if values is None:
        raise ValueError(f"no 'totals:' or 'summary:' line in {path}")
    if event not in events:
        raise ValueError(f"event {event!r} not recorded in {path} (events: {events})")
    idx = events.index(event)
    return values[idx] if idx < len(values) else 0  # trailing zeros may be omitted


def count_instructions(
    cmd: Sequence[str],
    toggle_collect: str | None,
    env: Mapping[str, str] | None = None,
    *,
    valgrind: str = "valgrind",
    extra_args: Sequence[str] = (),
    timeout: float | None = None,
) -> int:
    """Run ``cmd`` under ``valgrind --tool=callgrind`` and return the total ``Ir`` count.

    ``env`` replaces the environment when given (as in :func:`subprocess.run`). Raises
    ``RuntimeError`` if valgrind is missing or the command fails; temp files are always removed.
    """
    exe = shutil.which(valgrind)
    if exe is None:
        raise RuntimeError(f"{valgrind} not found: apt-get install valgrind")
    tmpdir = tempfile.mkdtemp(prefix="tinymem_callgrind_")
    try:
        out_file = Path(tmpdir) / "callgrind.out"
        args = [exe, "--tool=callgrind", f"--callgrind-out-file={out_file}"]
        if toggle_collect:
            args.append(f"--toggle-collect={toggle_collect}")
        args += list(extra_args)
        args += ["--", *cmd]
        proc = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or "").splitlines()[-30:])
            raise RuntimeError(
                f"callgrind run failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}"
            )
        if not out_file.exists():
            raise RuntimeError(f"callgrind wrote no output file for: {' '.join(cmd)}")
        return parse_callgrind_total(out_file)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover
    import sys

    pattern = os.environ.get("TOGGLE_COLLECT") or None
    print(count_instructions(sys.argv[1:], pattern))
