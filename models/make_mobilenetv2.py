"""Make a MobileNetV2 (width 0.35, 224x224x3, 1000 classes) as a fully int8 TFLite model, seeded weights.

    python models/make_mobilenetv2.py [OUT.tflite] [--seed N]

Writes OUT.tflite (default: models/mobilenetv2_035_224_int8.tflite, not committed: tests and
benchmarks generate it into a temporary folder with `build_mobilenetv2`). The point is the graph
(the memory-heavy layer shapes of a real MobileNetV2), not the accuracy: the weights are random.

Graph (Sandler et al. 2018, as in the Keras reference implementation, NHWC):
  conv 3x3 stride 2 to make_divisible(32 w) channels + ReLU6
  inverted residual blocks (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1)
  (6,160,3,2) (6,320,1,1): [conv 1x1 to t*C_in + ReLU6, skipped when t = 1] -> depthwise 3x3
  stride s (first block of a group, else 1) + ReLU6 -> conv 1x1 to make_divisible(c w) (linear);
  residual ADD where stride 1 and channels equal
  conv 1x1 to 1280 + ReLU6 (1280 is not scaled below width 1.0) -> MEAN over H, W -> FULLY_CONNECTED
  to 1000 -> SOFTMAX
with make_divisible(v) = the multiple of 8 nearest v (rounding half up), raised by 8 when that is
below 0.9 v. All convolutions use SAME padding (TFLite's, extra row/column at the bottom/right).

Weights: seeded normal draws, then, layer by layer on a float numpy forward pass over a few seeded
calibration images, rescaled per output channel the way a folded BatchNorm would: each channel's
pre-activation gets a seeded mean and spread (ReLU6 layers: mean in [0, 1], std in [1, 2], so
neither all-zero nor saturated at 6; linear projections: mean in [-0.25, 0.25], std in [0.5, 1];
logits: mean in [-1, 1], std in [2, 4] across the images, so that the softmax differs per image).
Quantization as the TFLite converter does it: input scale 2/255 (images in [-1, 1]); conv and
depthwise weights per output channel, symmetric int8 in [-127, 127]; fully connected weights per
tensor; int32 biases with scale input_scale * weight_scale; activations per tensor, asymmetric,
from the min/max of the calibration pass (ReLU6 outputs: [0, max]); softmax output scale 1/256,
zero point -128. Deterministic for a given seed (numpy's PCG64).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.tflite_builder import T, build_model  # noqa: E402

WIDTH = 0.35
RESOLUTION = 224
CLASSES = 1000
LAST_CHANNELS = 1280
BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
          (6, 320, 1, 1))  # (expansion t, channels c, repeats n, first stride s)
CALIBRATION_IMAGES = 6
INPUT_RANGE = (-1.0, 1.0)
DEFAULT_OUT = HERE / "mobilenetv2_035_224_int8.tflite"


def make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def sample_images(n: int, seed: int) -> np.ndarray:
    """n float32 images [n, 224, 224, 3] in [-1, 1]: smooth random colour fields plus a little noise,
    so that images differ in their global statistics (as photographs do) and not only in pixel noise."""
    rng = np.random.default_rng(seed)
    contrast, tint = rng.uniform(0.3, 1.0, (n, 1, 1, 1)), rng.uniform(-0.4, 0.4, (n, 1, 1, 3))
    coarse = rng.uniform(-1, 1, (n, 7, 7, 3)) * contrast + tint
    smooth = coarse.repeat(RESOLUTION // 7, axis=1).repeat(RESOLUTION // 7, axis=2)
    img = smooth + rng.normal(0, 0.1, smooth.shape)
    return np.clip(img, *INPUT_RANGE).astype(np.float32)


def quantize_input(images: np.ndarray) -> np.ndarray:
    """Float images in [-1, 1] -> the model's int8 input."""
    scale, zp = act_quant(*INPUT_RANGE)
    return np.clip(np.round(images / scale) + zp, -128, 127).astype(np.int8)


def act_quant(lo: float, hi: float) -> tuple[float, int]:
    """Per-tensor asymmetric int8 (scale, zero point) of a float range (widened to hold 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0
    return scale, int(np.clip(np.round(-128 - lo / scale), -128, 127))


def quantize_weights(w: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 weights in [-127, 127], per channel along `axis` or per tensor (axis None):
    (int8 weights, float32 scales: one per channel, or one)."""
    if axis is None:
        scale = np.array([np.abs(w).max() / 127.0], dtype=np.float32)
        return np.clip(np.round(w / scale[0]), -127, 127).astype(np.int8), scale
    scale = (np.abs(np.moveaxis(w, axis, 0)).reshape(w.shape[axis], -1).max(axis=1) / 127.0).astype(np.float32)
    per_axis = scale.reshape([-1 if a == axis else 1 for a in range(w.ndim)])
    return np.clip(np.round(w / per_axis), -127, 127).astype(np.int8), scale


def _scale_spec(scale: np.ndarray) -> float | list[float]:
    return float(scale[0]) if scale.size == 1 else [float(s) for s in scale]


# ---------------------------------------------------------------------------------------------
# float forward pass (NHWC, TFLite SAME padding)


def _same_pad(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    pads = []
    for size in x.shape[1:3]:
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, ((0, 0), *pads, (0, 0)))


def _taps(x: np.ndarray, k: int, stride: int):
    """(dy, dx, strided input window) for each kernel tap of a SAME k x k convolution."""
    _, h, w, _ = x.shape
    oh, ow = -(-h // stride), -(-w // stride)
    xp = _same_pad(x, k, stride)
    for dy in range(k):
        for dx in range(k):
            yield dy, dx, xp[:, dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride]


def conv(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """SAME convolution, weights OHWI (TFLite CONV_2D layout), no bias."""
    k = w.shape[1]
    cols = np.concatenate([win for _, _, win in _taps(x, k, stride)], axis=-1)  # tap-major, then C_in
    wmat = w.transpose(1, 2, 3, 0).reshape(-1, w.shape[0])  # (kh, kw, C_in) x C_out, same order
    return cols @ wmat


def depthwise(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """SAME depthwise convolution, weights [1, kh, kw, C] (TFLite layout), no bias."""
    out = None
    for dy, dx, win in _taps(x, w.shape[1], stride):
        term = win * w[0, dy, dx]
        out = term if out is None else out + term
    return out


# ---------------------------------------------------------------------------------------------
# the network: layers with seeded, data-normalised weights, built on the calibration pass


# per-channel (mean, std) ranges of a layer's pre-activation, by what follows it
TARGETS = {"relu6": ((0.0, 1.0), (1.0, 2.0)), "linear": ((-0.25, 0.25), (0.5, 1.0)),
           "logits": ((-1.0, 1.0), (2.0, 4.0))}


class Builder:
    """Appends TFLite tensors and operators while running the float calibration pass."""

    def __init__(self, rng: np.random.Generator, images: np.ndarray):
        self.rng = rng
        self.tensors: list[T] = []
        self.ops: list[tuple] = []
        self.x = images  # float activations of the current layer on the calibration images
        self.cur = self._activation(images, "input", act_quant(*INPUT_RANGE))

    def _add(self, t: T) -> int:
        self.tensors.append(t)
        return len(self.tensors) - 1

    def _activation(self, x: np.ndarray, name: str, quant: tuple[float, int] | None = None) -> int:
        scale, zp = quant or act_quant(float(x.min()), float(x.max()))
        return self._add(T((1, *x.shape[1:]), "s8", scale, zp, name=name))

    def _normalise(self, pre: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Per output channel (gain, bias) giving the pre-activation a seeded mean and spread."""
        c = pre.shape[-1]
        axes = tuple(range(pre.ndim - 1))
        (m_lo, m_hi), (s_lo, s_hi) = TARGETS[kind]
        target_mean, target_std = self.rng.uniform(m_lo, m_hi, c), self.rng.uniform(s_lo, s_hi, c)
        gain = target_std / (pre.std(axis=axes) + 1e-6)
        return gain, target_mean - pre.mean(axis=axes) * gain

    def _layer(self, op: str, name: str, w: np.ndarray, forward, kind: str, options: dict) -> None:
        """A layer with weights: normalise w on the calibration pass, quantize it (per output
        channel except FULLY_CONNECTED), append its tensors and operator."""
        axis = 3 if op == "DEPTHWISE_CONV_2D" else 0
        shape = [-1 if a == axis else 1 for a in range(w.ndim)]
        gain, bias = self._normalise(forward(self.x, w), kind)
        w = w * gain.reshape(shape)
        y = forward(self.x, w) + bias
        y = np.clip(y, 0.0, 6.0) if kind == "relu6" else y
        per_channel = op != "FULLY_CONNECTED"
        q, w_scale = quantize_weights(w, axis if per_channel else None)
        b_scale = np.float32(self.tensors[self.cur].scale) * w_scale
        wt = self._add(T(q.shape, "s8", _scale_spec(w_scale), 0, quantized_dimension=axis if per_channel else 0,
                         data=q, name=f"{name}/weights"))
        bt = self._add(T(bias.shape, "s32", _scale_spec(b_scale), 0, data=np.round(bias / b_scale).astype(np.int32),
                         name=f"{name}/bias"))
        out = self._activation(y, name, act_quant(0.0, float(y.max())) if kind == "relu6" else None)
        act = {"fused_activation_function": "RELU6" if kind == "relu6" else "NONE"}
        self.ops.append((op, [self.cur, wt, bt], [out], {**act, **options}))
        self.x, self.cur = y, out

    def conv(self, name: str, c_out: int, k: int, stride: int, kind: str) -> None:
        w = self.rng.normal(0.0, 1.0, (c_out, k, k, self.x.shape[-1]))
        self._layer("CONV_2D", name, w, lambda x, w: conv(x, w, stride), kind,
                    {"padding": "SAME", "stride_w": stride, "stride_h": stride})

    def depthwise(self, name: str, stride: int) -> None:
        w = self.rng.normal(0.0, 1.0, (1, 3, 3, self.x.shape[-1]))
        self._layer("DEPTHWISE_CONV_2D", name, w, lambda x, w: depthwise(x, w, stride), "relu6",
                    {"padding": "SAME", "stride_w": stride, "stride_h": stride, "depth_multiplier": 1})

    def inverted_residual(self, name: str, t: int, c_out: int, stride: int) -> None:
        skip_x, skip = self.x, self.cur
        c_in = self.x.shape[-1]
        if t != 1:
            self.conv(f"{name}/expand", t * c_in, 1, 1, "relu6")
        self.depthwise(f"{name}/depthwise", stride)
        self.conv(f"{name}/project", c_out, 1, 1, "linear")
        if stride == 1 and c_in == c_out:
            self._op("ADD", f"{name}/add", self.x + skip_x, [skip, self.cur], {})

    def _op(self, op: str, name: str, y: np.ndarray, inputs: list[int], options: dict) -> None:
        """An operator without weights whose float result on the calibration pass is y."""
        out = self._activation(y, name)
        self.ops.append((op, inputs, [out], options))
        self.x, self.cur = y, out

    def head(self) -> None:
        axes = self._add(T((2,), "s32", data=np.array([1, 2], dtype=np.int32), name="pool/axes"))
        self._op("MEAN", "pool", self.x.mean(axis=(1, 2)), [self.cur, axes], {"keep_dims": False})
        w = self.rng.normal(0.0, 1.0, (CLASSES, self.x.shape[-1]))
        self._layer("FULLY_CONNECTED", "logits", w, lambda x, w: x @ w.T, "logits", {})
        probs = self._add(T((1, CLASSES), "s8", 1.0 / 256, -128, name="probabilities"))
        self.ops.append(("SOFTMAX", [self.cur], [probs], {"beta": 1.0}))
        self.cur = probs


def mobilenetv2_tflite(seed: int = 0) -> bytes:
    """The int8 MobileNetV2-0.35-224 flatbuffer for `seed`."""
    rng = np.random.default_rng(seed)
    b = Builder(rng, sample_images(CALIBRATION_IMAGES, seed))
    b.conv("stem", make_divisible(32 * WIDTH), 3, 2, "relu6")
    k = 0
    for t, c, n, s in BLOCKS:
        for i in range(n):
            b.inverted_residual(f"block_{k}", t, make_divisible(c * WIDTH), s if i == 0 else 1)
            k += 1
    b.conv("last", LAST_CHANNELS, 1, 1, "relu6")
    b.head()
    return build_model(b.ops, b.tensors, [0], [b.cur], description="tinymem models/make_mobilenetv2.py")


def build_mobilenetv2(path: str | Path, seed: int = 0) -> Path:
    """Write the model to `path`; returns the path."""
    path = Path(path)
    path.write_bytes(mobilenetv2_tflite(seed))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(DEFAULT_OUT), help=f"output .tflite (default: {DEFAULT_OUT.name} "
                                                                     "beside this script)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    path = build_mobilenetv2(args.out, args.seed)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
