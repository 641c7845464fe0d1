"""MirrorPad (IR mirror_pad): TFLite MIRROR_PAD REFLECT / SYMMETRIC (float32, int8) against TFLM,
ONNX Pad modes reflect / edge / wrap (with and without axes, on NHWC-stored conv outputs and on
plain tensors) against onnxruntime."""

import numpy as np
import pytest
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.harness import check_tflite
from tests.ops.onnx_harness import check_onnx, onnx_model
from tests.tflite_builder import T, single_op

vi = helper.make_tensor_value_info


@pytest.mark.parametrize("mode, dtype, pads", [
    ("REFLECT", "f32", [[0, 0], [2, 1], [3, 3], [0, 1]]),
    ("SYMMETRIC", "f32", [[1, 0], [0, 0], [4, 2], [1, 1]]),
    ("REFLECT", "s8", [[0, 0], [1, 2], [0, 0], [2, 2]]),
    ("SYMMETRIC", "s8", [[0, 0], [3, 3], [1, 0], [0, 0]]),
])
def test_tflite(mode, dtype, pads, tmp_path):
    shape = (2, 4, 5, 3)
    out = tuple(d + b + a for d, (b, a) in zip(shape, pads))
    q = (0.05, 3) if dtype == "s8" else ()
    rng = np.random.default_rng(len(pads) + pads[1][0])
    x = (rng.integers(-128, 128, shape).astype(np.int8) if dtype == "s8"
         else rng.standard_normal(shape).astype(np.float32))
    m = single_op("MIRROR_PAD", [T(shape, dtype, *q), T((4, 2), "s32", data=np.array(pads, np.int32))],
                  [T(out, dtype, *q)], mode=mode)
    check_tflite(m, [x], tmp_path)


@pytest.mark.parametrize("mode", ["reflect", "edge", "wrap"])
@pytest.mark.parametrize("pads, axes", [([0, 1, 2, 3, 0, 2, 1, 2], None), ([2, 3, 1, 2], [2, -1])])
def test_onnx(mode, pads, axes, tmp_path):
    shape = (1, 3, 4, 5)
    inits = {"pads": np.array(pads, np.int64)}
    names = ["x", "pads"]
    if axes is not None:
        inits["axes"] = np.array(axes, np.int64)
        names += ["", "axes"]
    full = dict(zip(range(4), [(0, 0)] * 4))
    for i, a in enumerate(axes if axes is not None else range(4)):
        full[a % 4] = (pads[i], pads[i + len(pads) // 2])
    out = tuple(d + sum(full[k]) for k, d in enumerate(shape))
    model = onnx_model([helper.make_node("Pad", names, ["y"], mode=mode)], [vi("x", TP.FLOAT, shape)],
                       [vi("y", TP.FLOAT, out)], inits, opset=19)
    check_onnx(model, {"x": np.random.default_rng(0).standard_normal(shape).astype(np.float32)}, tmp_path)


def test_onnx_reflect_after_conv(tmp_path):
    """The conv output is stored NHWC: the pads follow the layout."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    model = onnx_model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                        helper.make_node("Pad", ["c", "pads"], ["y"], mode="reflect")],
                       [vi("x", TP.FLOAT, (1, 2, 6, 5))], [vi("y", TP.FLOAT, (1, 4, 9, 7))],
                       {"w": w, "pads": np.array([0, 0, 1, 2, 0, 0, 2, 0], np.int64)}, opset=13)
    check_onnx(model, {"x": rng.standard_normal((1, 2, 6, 5)).astype(np.float32)}, tmp_path, atol=1e-4)
