"""Make the episodic-memory demo: a small int8 CNN trained on MNIST digits 0-4 (models/README.md).

    pip install torch==2.13.0        # needed only by this script
    python models/make_episodic.py [--data ../shared/data]

Writes, beside this script:
  episodic_mnist_int8.tflite           the classifier: int8 [1,28,28,1] -> int8 logits [1,5] (digits 0-4)
  episodic_mnist_backbone_int8.tflite  the same layers up to the embedding (int8 [1,5,5,16]): the
                                       reference side of benchmarks/episodic.py runs it under TFLM
  episodic_mnist.json                  split, training and quantization facts, accuracies

Data: only the MNIST test set (t10k, 10,000 images) is available in ../shared/data/mnist. Its
digits 0-4 (5,139 images) train the network; its digits 5-9 (4,861 images) are never seen in
training: benchmarks/episodic.py enrolls the first 5 images of each of them into the memory head
and classifies the other 4,836.

Network (NHWC, TFLite semantics, no padding anywhere so that PyTorch and TFLite agree exactly):
  conv 3x3 1->8 VALID + ReLU -> max pool 2x2 -> conv 3x3 8->16 VALID + ReLU -> max pool 2x2
  (the embedding: 5x5x16 = 400 int8, the input of the last layer) -> fully connected 400->5 (logits)
The memory head's default embedding is the input of the last fully connected layer. Here that is
the convolutional features: an earlier version with a hidden 64-unit FC layer (ReLU) before the
classifier gave 59-61 % 5-shot accuracy on 5-9 from that layer, the conv features 83 % (float):
the last hidden layer of a 0-4 classifier keeps little that separates unseen digits.
Quantization (post-training, written by hand the way the TFLite converter does it): input scale
1/255 zero point -128 (pixel / 255); conv weights per output channel, FC weights per tensor,
symmetric int8 in [-127, 127]; int32 biases with scale input_scale * weight_scale; activations per
tensor, asymmetric, from the min/max over the training images (ReLU outputs: [0, max]); max pool
keeps its input's quantization. Deterministic: fixed seeds, one thread, deterministic algorithms.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.tflite_builder import T, build_model, run_tflm  # noqa: E402
from tinymem.imc.mnist import load_mnist  # noqa: E402

TRAIN_DIGITS = (0, 1, 2, 3, 4)
EPOCHS = 12
SEED = 0


def train(x: np.ndarray, y: np.ndarray):
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 8, 3), nn.Conv2d(8, 16, 3)
            self.f2 = nn.Linear(400, len(TRAIN_DIGITS))

        def embed(self, t):
            t = nn.functional.max_pool2d(torch.relu(self.c1(t)), 2)
            t = nn.functional.max_pool2d(torch.relu(self.c2(t)), 2)
            return t.permute(0, 2, 3, 1).reshape(len(t), -1)  # NHWC flatten, as TFLite reads it

        def forward(self, t):
            return self.f2(self.embed(t))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    xt = torch.from_numpy(x[:, None].astype(np.float32) / 255.0)
    yt = torch.from_numpy(y)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    net.eval()
    return net, xt


def _act_quant(lo: float, hi: float) -> tuple[float, int]:
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0
    return scale, int(np.clip(np.round(-128 - lo / scale), -128, 127))


def quantize(net, xt):
    """TFLite tensors of the int8 model (and the backbone), from the float net and calibration."""
    import torch

    with torch.no_grad():
        a1 = torch.relu(net.c1(xt))
        a2 = torch.relu(net.c2(torch.nn.functional.max_pool2d(a1, 2)))
        logits = net(xt)
    s_x, z_x = 1 / 255.0, -128
    s1, z1 = _act_quant(0.0, float(a1.max()))
    s2, z2 = _act_quant(0.0, float(a2.max()))
    s4, z4 = _act_quant(float(logits.min()), float(logits.max()))

    def conv(layer, s_in):
        w = layer.weight.detach().numpy().transpose(0, 2, 3, 1)  # OIHW -> OHWI
        ws = np.abs(w).reshape(len(w), -1).max(axis=1) / 127.0
        q = np.clip(np.round(w / ws[:, None, None, None]), -127, 127).astype(np.int8)
        b = np.round(layer.bias.detach().numpy() / (s_in * ws)).astype(np.int32)
        return q, ws.astype(np.float32), b, (s_in * ws).astype(np.float32)

    def fc(layer, s_in):
        w = layer.weight.detach().numpy()
        ws = float(np.abs(w).max() / 127.0)
        q = np.clip(np.round(w / ws), -127, 127).astype(np.int8)
        b = np.round(layer.bias.detach().numpy() / (s_in * ws)).astype(np.int32)
        return q, ws, b, s_in * ws

    w1, ws1, b1, bs1 = conv(net.c1, s_x)
    w2, ws2, b2, bs2 = conv(net.c2, s1)
    w4, ws4, b4, bs4 = fc(net.f2, s2)
    tensors = [
        T((1, 28, 28, 1), "s8", s_x, z_x, name="image"),                                   # 0
        T(w1.shape, "s8", list(ws1), 0, data=w1, name="conv1/weights"),                      # 1
        T(b1.shape, "s32", list(bs1), 0, data=b1, name="conv1/bias"),                        # 2
        T((1, 26, 26, 8), "s8", s1, z1, name="conv1"),                                       # 3
        T((1, 13, 13, 8), "s8", s1, z1, name="pool1"),                                       # 4
        T(w2.shape, "s8", list(ws2), 0, data=w2, name="conv2/weights"),                      # 5
        T(b2.shape, "s32", list(bs2), 0, data=b2, name="conv2/bias"),                        # 6
        T((1, 11, 11, 16), "s8", s2, z2, name="conv2"),                                      # 7
        T((1, 5, 5, 16), "s8", s2, z2, name="embedding"),                                    # 8
        T(w4.shape, "s8", ws4, 0, data=w4, name="head/weights"),                             # 9
        T(b4.shape, "s32", bs4, 0, data=b4, name="head/bias"),                               # 10
        T((1, len(TRAIN_DIGITS)), "s8", s4, z4, name="logits"),                              # 11
    ]
    relu = {"fused_activation_function": "RELU"}
    pool = {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2, "padding": "VALID"}
    ops = [("CONV_2D", [0, 1, 2], [3], {"padding": "VALID", **relu}), ("MAX_POOL_2D", [3], [4], pool),
           ("CONV_2D", [4, 5, 6], [7], {"padding": "VALID", **relu}), ("MAX_POOL_2D", [7], [8], pool)]
    backbone = build_model(ops, tensors, [0], [8], description="tinymem models/make_episodic.py backbone")
    full = build_model(ops + [("FULLY_CONNECTED", [8, 9, 10], [11])], tensors, [0], [11],
                       description="tinymem models/make_episodic.py")
    return full, backbone


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(HERE), help="output folder (default: beside this script)")
    args = ap.parse_args()
    dest = Path(args.out)
    images, labels = load_mnist(args.data)
    train_mask = np.isin(labels, TRAIN_DIGITS)
    net, xt = train(images[train_mask], labels[train_mask])
    full, backbone = quantize(net, xt)
    (dest / "episodic_mnist_int8.tflite").write_bytes(full)
    (dest / "episodic_mnist_backbone_int8.tflite").write_bytes(backbone)

    import torch

    with torch.no_grad():
        float_acc = float((net(xt).argmax(1).numpy() == labels[train_mask]).mean())
    q = (images[train_mask].astype(np.int16) - 128).astype(np.int8)[:, :, :, None]
    logits = run_tflm(full, [q[:1]])  # smoke: TFLM runs it
    steps = q[:, None]  # [N, 1, 28, 28, 1]
    from tinymem.sim.references import run_tflm as run_tflm_steps

    pred = run_tflm_steps(full, [steps], steps=len(steps))[0].reshape(len(steps), -1).argmax(1)
    int8_acc = float((pred == labels[train_mask]).mean())
    facts = {"train": "MNIST t10k digits 0-4 (all 5139 images)", "episodic": "MNIST t10k digits 5-9",
             "epochs": EPOCHS, "seed": SEED, "embedding": "embedding (int8 [1, 5, 5, 16], input of the last FC)",
             "train_accuracy_float": round(float_acc, 4), "train_accuracy_int8_tflm": round(int8_acc, 4),
             "logits_shape": list(logits[0].shape)}
    (dest / "episodic_mnist.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts, indent=2))


if __name__ == "__main__":
    main()
