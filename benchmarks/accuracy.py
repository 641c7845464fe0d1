"""Top-1 accuracy of the compiled C on the MLPerf Tiny stimuli vs the reference runtime (TFLM).

Both run the same prepared inputs (see ../shared/data/README.md); the figures must be equal since
the generated code is bit-exact. AD reports the ROC AUC of the reconstruction error (mean squared,
in dequantized units, averaged over each clip's windows) instead of top-1.

    python benchmarks/accuracy.py [--models KWS,VWW,IC,AD]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.tflm_baseline import DATA_DIR, MLPERF_MODELS, MODELS_DIR  # noqa: E402
from tinymem.compile import compile_model  # noqa: E402
from tinymem.sim.datasets import load_dataset  # noqa: E402
from tinymem.sim.host import run_host  # noqa: E402
from tinymem.sim.references import run_tflm  # noqa: E402


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (pos.size * neg.size))


def score(label: str, outputs: list[np.ndarray], samples, in_desc: dict, out_desc: dict) -> float:
    labels = np.array([s[2] for s in samples])
    if label != "AD":
        return float(np.mean(np.array([int(np.argmax(o)) for o in outputs]) == labels))
    per_clip = defaultdict(list)
    clip_label = {}
    for (name, xs, lab), y in zip(samples, outputs):
        clip = name.split("#")[0]
        xr = (xs[0].astype(np.float64) - in_desc["zero_point"]) * in_desc["scale"]
        yr = (y.astype(np.float64) - out_desc["zero_point"]) * out_desc["scale"]
        per_clip[clip].append(np.mean((xr - yr) ** 2))
        clip_label[clip] = lab
    clips = sorted(per_clip)
    return auc(np.array([np.mean(per_clip[c]) for c in clips]), np.array([clip_label[c] for c in clips]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="KWS,VWW,IC,AD")
    args = ap.parse_args()
    table = Table(title="Accuracy on ../shared/data/mlperf (compiled C vs TFLM)")
    for col in ("model", "inputs", "metric", "tinymem C", "TFLM", "equal"):
        table.add_column(col, justify="right")
    for label, fname, data in MLPERF_MODELS:
        if label not in args.models.split(","):
            continue
        model = MODELS_DIR / fname
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            report = compile_model(model, out)
            samples = load_dataset(DATA_DIR / data, report["inputs"])
            stacked = np.stack([s[1][0] for s in samples])
            ours = list(run_host(out, [stacked], steps=len(samples))[0])
        ref = [run_tflm(model.read_bytes(), s[1])[0] for s in samples]
        io = (report["inputs"][0], report["outputs"][0])
        a, b = score(label, ours, samples, *io), score(label, ref, samples, *io)
        metric = "AUC" if label == "AD" else "top-1"
        fmt = (lambda v: f"{v:.4f}") if label == "AD" else (lambda v: f"{100 * v:.2f} %")
        table.add_row(label, str(len(samples)), metric, fmt(a), fmt(b), "yes" if a == b else "NO")
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
