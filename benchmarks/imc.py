"""Figures of the in-memory-computing backend (issue 6): crossbar LSMs on event data.

Image-event LSM (MNIST saccade events), audio-event LSM (FSDD cochlear spikes, unseen speakers),
zero-shot audio -> image retrieval, a device noise sweep (PNG) and energy per inference, each next
to its acceptance target and the paper's figure (../shared/REFERENCES.md).

    python benchmarks/imc.py [--config examples/imc/default.toml] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import os

# Before numpy loads: threaded BLAS spins on the many small matrix products here (measured 10x
# slower on a busy 2-core machine); without threadpoolctl this is the only way to turn it off.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tinymem.imc.cli import print_summary  # noqa: E402
from tinymem.imc.experiment import run_experiments  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples/imc/default.toml"))
    ap.add_argument("--output-dir", default=None)
    args = ap.parse_args()
    cfg = tomllib.loads(Path(args.config).read_text())
    cfg["output_dir"] = args.output_dir or str(Path(args.config).parent / cfg.get("output_dir", "results"))
    start = time.time()
    res = run_experiments(cfg, progress=lambda msg: print(f"[{time.time() - start:6.0f} s] {msg}",
                                                          file=sys.stderr, flush=True))
    print_summary(res)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"wall {time.time() - start:.0f} s, cpu {ru.ru_utime + ru.ru_stime:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
