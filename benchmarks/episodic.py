"""Few-shot digits with the episodic memory head: accuracy of the C on the host, and its equality
with the Python reference on every image.

The CNN of models/make_episodic.py was trained on MNIST digits 0-4 only. Compiled with
`--memory-head knn`, it enrolls the first SHOTS images of each digit 5-9 (memory_write) and
classifies every other 5-9 image (memory_classify), all in one host process. The reference runs the
backbone model (same layers, the embedding as output) under TFLM and the numpy memory head
(tinymem.episodic.EpisodicMemory); label and distance must be equal for every image.

    python benchmarks/episodic.py [--shots 5] [--metric l2,cosine] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tinymem.compile import CompileOptions, compile_model  # noqa: E402
from tinymem.episodic import EpisodicMemory, run_memory_host  # noqa: E402
from tinymem.imc.mnist import load_mnist  # noqa: E402
from tinymem.sim.references import run_tflm  # noqa: E402

MODEL = ROOT / "models" / "episodic_mnist_int8.tflite"
BACKBONE = ROOT / "models" / "episodic_mnist_backbone_int8.tflite"
DATA_DIR = ROOT.parent / "shared" / "data"
NEW_DIGITS = (5, 6, 7, 8, 9)


def episodic_data(data_dir=DATA_DIR, shots: int = 5, limit: int | None = None):
    """(int8 images [N, 1, 28, 28, 1], labels, enroll indices, test indices) over digits 5-9:
    the first `shots` of each digit are enrolled, the rest (at most `limit` per digit) tested."""
    images, labels = load_mnist(data_dir)
    keep = np.isin(labels, NEW_DIGITS)
    x = (images[keep].astype(np.int16) - 128).astype(np.int8)[:, None, :, :, None]  # pixel/255, zp -128
    y = labels[keep]
    enroll, test = [], []
    for d in NEW_DIGITS:
        idx = np.flatnonzero(y == d)
        enroll += list(idx[:shots])
        test += list(idx[shots:] if limit is None else idx[shots:shots + limit])
    return x, y, np.array(enroll), np.array(sorted(test))


def compile_episodic(out: Path, metric: str, slots: int = 64) -> dict:
    return compile_model(MODEL, out, CompileOptions(memory_head="knn", memory_metric=metric, memory_slots=slots))


def c_results(out: Path, x, y, enroll, test, profile: str = "release") -> tuple[np.ndarray, np.ndarray]:
    """(labels, distances) from the generated C: enroll, then classify each test image."""
    cmds = [("write", x[i], int(y[i])) for i in enroll] + [("classify", x[i]) for i in test]
    res = run_memory_host(out, cmds, profile=profile)
    if any(r[0] != 0 for r in res):
        bad = next(r for r in res if r[0] != 0)
        raise RuntimeError(f"memory head returned status {bad[0]}")
    res = res[len(enroll):]
    return np.array([r[1] for r in res]), np.array([r[2] for r in res])


def reference_results(report: dict, x, y, enroll, test) -> tuple[np.ndarray, np.ndarray]:
    """(labels, distances) from TFLM embeddings and the numpy memory head."""
    head = report["memory_head"]
    idx = np.concatenate([enroll, test])
    emb = run_tflm(BACKBONE.read_bytes(), [x[idx]], steps=len(idx))[0].reshape(len(idx), -1)
    mem = EpisodicMemory(head["slots"], head["dim"], head["dtype"], head["metric"], head.get("zero_point", 0))
    for e, i in zip(emb[:len(enroll)], enroll):
        mem.write(e, int(y[i]))
    out = [mem.classify(e) for e in emb[len(enroll):]]
    return np.array([o[0] for o in out]), np.array([o[1] for o in out])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--metric", default="l2,cosine")
    ap.add_argument("--limit", type=int, help="test images per digit (default: all)")
    ap.add_argument("--data", default=str(DATA_DIR))
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    x, y, enroll, test = episodic_data(args.data, args.shots, args.limit)
    table = Table(title=f"episodic memory: {args.shots}-shot digits 5-9, CNN trained on 0-4 "
                        f"({len(enroll)} enrolled, {len(test)} classified)")
    for col in ("metric", "slots", "state B", "accuracy (C)", "per digit 5/6/7/8/9 %", "C == ref", "C s", "ref s"):
        table.add_column(col, justify="right")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for metric in args.metric.split(","):
            out = Path(tmp) / metric
            report = compile_episodic(out, metric, slots=max(64, len(enroll)))
            t0 = time.perf_counter()
            c_lab, c_dist = c_results(out, x, y, enroll, test)
            t1 = time.perf_counter()
            r_lab, r_dist = reference_results(report, x, y, enroll, test)
            t2 = time.perf_counter()
            same = int(np.sum((c_lab == r_lab) & (c_dist == r_dist)))
            ok &= same == len(test)
            truth = y[test]
            per = "/".join(f"{100 * np.mean(c_lab[truth == d] == d):.0f}" for d in NEW_DIGITS)
            table.add_row(metric, str(report["memory_head"]["slots"]), f"{report['ram']['state_bytes']:,}",
                          f"{np.mean(c_lab == truth):.2%}", per, f"{same}/{len(test)}",
                          f"{t1 - t0:.1f}", f"{t2 - t1:.1f}")
    Console(width=max(100, Console().width)).print(table)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
