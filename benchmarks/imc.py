"""Figures of the in-memory-computing backend (issue 6): crossbar LSMs on event data.

Image-event LSM (MNIST saccade events), audio-event LSM (FSDD cochlear spikes, unseen speakers),
zero-shot audio -> image retrieval, a device noise sweep (PNG) and energy per inference, each next
to its acceptance target and the paper's figure (../shared/REFERENCES.md). Then the compiler
integration: the MLPerf Tiny KWS int8 model with its FullyConnected and Conv2D layers on crossbars
(`tinymem verify --backend rram`), on the kws01 stimuli, for the default and the ideal device.

    python benchmarks/imc.py [--config examples/imc/default.toml] [--output-dir DIR] [--kws-limit N]
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
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from tinymem.imc.cli import print_summary  # noqa: E402
from tinymem.imc.device import Device  # noqa: E402
from tinymem.imc.experiment import run_experiments  # noqa: E402
from tinymem.imc.verify_rram import verify_rram  # noqa: E402

SHARED = ROOT.parent / "shared"


def kws_on_crossbars(limit: int | None) -> None:
    """KWS accuracy on kws01: digital int8 (the compiled C), ideal crossbar, default device."""
    model, data = SHARED / "models/mlperf_kws_dscnn_int8.tflite", SHARED / "data/mlperf/kws01"
    if not model.exists():
        print(f"KWS on crossbars skipped: {model.name} is not in ../shared/models")
        return
    runs = {name: verify_rram(model, device, n_random=0, data=data, data_limit=limit)
            for name, device in (("ideal", Device.ideal()), ("default", Device()))}
    r = runs["default"]
    table = Table(title=f"KWS int8 (DS-CNN) on crossbars: kws01, {r.labelled} labelled inputs "
                        f"({r.calibration} more calibrate the ADCs); {len(r.layers)} FC/Conv layers mapped, "
                        "depthwise digital")
    for col in ("execution", "top-1 accuracy", "top-1 agreement with digital", "identical outputs",
                "mean |diff| (steps)", "energy / inference, mapped layers"):
        table.add_column(col)
    table.add_row("digital int8 (compiled C)", f"{100 * r.accuracy_digital:.2f} %", "", "", "",
                  f"{r.energy['mcu'] * 1e6:.0f} uJ (MCU estimate)")
    for name, res in runs.items():
        o = res.outputs[0]
        table.add_row(f"crossbar, {name} device", f"{100 * res.accuracy_crossbar:.2f} %",
                      f"{100 * res.top1_agreement:.2f} %", f"{o.identical}/{res.samples}",
                      f"{o.mean_abs_diff:.2f}", "" if name == "ideal" else f"{res.energy['total'] * 1e9:.0f} nJ")
    Console().print(table)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "examples/imc/default.toml"))
    ap.add_argument("--output-dir", default=None)
    ap.add_argument("--kws-limit", type=int, default=None,
                    help="KWS on crossbars: evaluate only the first N kws01 stimuli (default: all)")
    args = ap.parse_args()
    cfg = tomllib.loads(Path(args.config).read_text())
    cfg["output_dir"] = args.output_dir or str(Path(args.config).parent / cfg.get("output_dir", "results"))
    start = time.time()
    res = run_experiments(cfg, progress=lambda msg: print(f"[{time.time() - start:6.0f} s] {msg}",
                                                          file=sys.stderr, flush=True))
    print_summary(res)
    kws_on_crossbars(args.kws_limit)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"wall {time.time() - start:.0f} s, cpu {ru.ru_utime + ru.ru_stime:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
