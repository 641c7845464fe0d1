#!/usr/bin/env python3
"""Build tinymem's demo model: a tiny CNN on scikit-learn's bundled 8x8 digits.

Deterministic and offline (the digits dataset ships inside scikit-learn).
Produces, next to this script:

  demo_digits_f32.onnx        float model, opset 13, BatchNormalization kept as a node
  demo_digits_int8_qdq.onnx   onnxruntime quantize_static, QDQ, int8 act + int8 per-channel weights
  demo_digits_samples.npz     x: [100,1,8,8] float32 (first 100 test images), y: [100] int64
  demo_digits_input.npy       one test image, [1,1,8,8] float32

Requirements (this script only -- torch is not a tinymem dependency):
  pip install torch==2.13.0 scikit-learn onnx onnxruntime

Usage:
  python models/make_demo.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

SEED = 0
HERE = Path(__file__).resolve().parent
F32_PATH = HERE / "demo_digits_f32.onnx"
QDQ_PATH = HERE / "demo_digits_int8_qdq.onnx"
SAMPLES_PATH = HERE / "demo_digits_samples.npz"
INPUT_PATH = HERE / "demo_digits_input.npy"

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
OPSET = 13
N_CALIB = 200
N_SAMPLES = 100
EPOCHS = 12
BATCH = 64


def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)  # pixels are 0..16
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.2, random_state=SEED, stratify=y
    )
    return (
        np.ascontiguousarray(x_tr, dtype=np.float32),
        np.ascontiguousarray(x_te, dtype=np.float32),
        y_tr.astype(np.int64),
        y_te.astype(np.int64),
    )


def build_model():
    import torch.nn as nn

    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


def train(x_tr, y_tr):
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    model = build_model()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(EPOCHS):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model, n_params


def export_onnx(model, path: Path):
    import onnx
    import torch

    dummy = torch.zeros(1, 1, 8, 8, dtype=torch.float32)
    # Legacy (TorchScript) exporter: with do_constant_folding=False the eval-mode
    # Conv+BN peephole fusion is skipped, so BatchNormalization stays a node for
    # tinymem's compiler to fold itself.
    with warnings.catch_warnings():
        # the legacy exporter is deliberate (see above); silence its deprecation note
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            do_constant_folding=False,
            training=torch.onnx.TrainingMode.EVAL,
            export_params=True,
        )
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    if "BatchNormalization" not in ops:
        sys.exit(f"export folded BatchNormalization away: {ops}")
    return m


class DigitsReader:
    """onnxruntime CalibrationDataReader over a fixed set of training images."""

    def __init__(self, images: np.ndarray):
        self._images = images
        self._i = 0

    def get_next(self):
        if self._i >= len(self._images):
            return None
        x = self._images[self._i : self._i + 1]
        self._i += 1
        return {INPUT_NAME: x}

    def rewind(self):
        self._i = 0


def quantize(f32_path: Path, qdq_path: Path, calib: np.ndarray):
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    # Make the reader a real CalibrationDataReader subclass.
    reader_cls = type("DigitsCalibReader", (DigitsReader, CalibrationDataReader), {})
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        # Shape inference + onnxruntime graph optimisation (folds BN into the
        # preceding Conv, so the quantized conv weights include the BN scale).
        quant_pre_process(str(f32_path), str(pre))
        quantize_static(
            str(pre),
            str(qdq_path),
            reader_cls(calib),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
    m = onnx.load(str(qdq_path))
    # quant_pre_process's optimiser declares every domain onnxruntime knows
    # (com.microsoft, ai.onnx.ml, org.pytorch.aten, ...); keep only the ones used.
    used = {n.domain for n in m.graph.node}
    keep = [o for o in m.opset_import if o.domain in used or o.domain in ("", "ai.onnx")]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(qdq_path))
    return m


def ort_accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    correct = 0
    for i in range(len(x)):
        (logits,) = sess.run([OUTPUT_NAME], {INPUT_NAME: x[i : i + 1]})
        correct += int(np.argmax(logits[0]) == y[i])
    return correct / len(x)


def op_types(m) -> list[str]:
    return sorted({n.op_type for n in m.graph.node})


def main() -> int:
    random.seed(SEED)
    np.random.seed(SEED)

    import torch

    x_tr, x_te, y_tr, y_te = load_data()
    t0 = time.perf_counter()
    model, n_params = train(x_tr, y_tr)
    train_s = time.perf_counter() - t0
    with torch.no_grad():
        torch_acc = float(
            (model(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean()
        )

    f32 = export_onnx(model, F32_PATH)
    rng = np.random.default_rng(SEED)
    calib = x_tr[rng.permutation(len(x_tr))[:N_CALIB]]
    qdq = quantize(F32_PATH, QDQ_PATH, calib)

    np.savez(SAMPLES_PATH, x=x_te[:N_SAMPLES].copy(), y=y_te[:N_SAMPLES].copy())
    np.save(INPUT_PATH, x_te[:1].copy())

    acc_f32 = ort_accuracy(F32_PATH, x_te, y_te)
    acc_qdq = ort_accuracy(QDQ_PATH, x_te, y_te)
    print(f"params: {n_params}  train: {len(x_tr)}  test: {len(x_te)}  "
          f"training: {EPOCHS} epochs, {train_s:.1f} s")
    print(f"torch  float test accuracy: {torch_acc:.4f}")
    print(f"ORT    float test accuracy: {acc_f32:.4f}  ({F32_PATH.name})")
    print(f"ORT    QDQ   test accuracy: {acc_qdq:.4f}  ({QDQ_PATH.name})")
    print(f"f32 ops: {op_types(f32)}")
    print(f"qdq ops: {op_types(qdq)}")
    print(f"sample input label: {int(y_te[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
