"""The MobileNetV2-0.35-224 int8 model of models/make_mobilenetv2.py (seeded weights): tinymem's C on the
host is bit-identical with TFLM on seeded images, and the report's layer-by-layer bound equals an
independent walk over the flatbuffer's tensors (the 112x112x48 expansion and its 56x56x48 depthwise
output in block 1: 602,112 + 150,528 = 752,640 B)."""

from __future__ import annotations

import numpy as np
import pytest
import tflite

from models.make_mobilenetv2 import build_mobilenetv2, quantize_input, sample_images
from tests.tflite_builder import run_tflm
from tinymem.compile import compile_model
from tinymem.sim.host import run_host

ALIGN = 16


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mbv2")
    model = build_mobilenetv2(tmp / "mobilenetv2.tflite", seed=0)
    return model, tmp / "out", compile_model(model, tmp / "out")


def layer_by_layer_bound(model: bytes) -> tuple[int, str]:
    """(bytes, output tensor name of that operator): the most activation bytes (each rounded up to
    ALIGN) live while one operator runs, in the model's order, each tensor live from its producer
    (graph input: the start) to its last reader (graph output: the end)."""
    m = tflite.Model.GetRootAs(model, 0)
    sg = m.Subgraphs(0)
    ops = [sg.Operators(i) for i in range(sg.OperatorsLength())]
    first, last = {int(sg.Inputs(0)): 0}, {int(sg.Outputs(0)): len(ops) - 1}
    for k, op in enumerate(ops):
        for i in op.InputsAsNumpy():
            last[int(i)] = k
        for o in op.OutputsAsNumpy():
            first.setdefault(int(o), k)
    size = {i: -(-int(np.prod(sg.Tensors(i).ShapeAsNumpy())) // ALIGN) * ALIGN for i in first}
    live = [sum(size[i] for i in first if first[i] <= k <= last[i]) for k in range(len(ops))]
    k = int(np.argmax(live))
    return live[k], sg.Tensors(int(ops[k].Outputs(0))).Name().decode()


def test_graph_shape(compiled):
    _, _, report = compiled
    ops = [n["type"] for n in report["ops"]]
    assert ops.count("conv2d") == 1 + 16 + 17 + 1 and ops.count("depthwise_conv2d") == 17
    assert ops.count("add") == 10 and ops[-3:] == ["mean", "fully_connected", "softmax"]
    assert report["inputs"][0]["shape"] == [1, 224, 224, 3] and report["outputs"][0]["shape"] == [1, 1000]


def test_bit_exact_vs_tflm(compiled):
    model, out, _ = compiled
    xs = quantize_input(sample_images(3, seed=1))
    got = run_host(out, [xs[:, None]], steps=len(xs))[0]
    want = np.stack([run_tflm(model.read_bytes(), [x[None]])[0] for x in xs])
    np.testing.assert_array_equal(got.reshape(want.shape), want)
    assert len({w.tobytes() for w in want}) == len(xs)  # the output depends on the image
    assert (want > -128).sum(axis=-1).min() > 10  # and is not all-zero probability


def test_layer_by_layer_bound(compiled):
    model, _, report = compiled
    bound, where = layer_by_layer_bound(model.read_bytes())
    print(f"layer-by-layer bound {bound:,} B while writing {where}; "
          f"tinymem arena {report['ram']['arena_bytes']:,} B")
    assert report["ram"]["baseline_bound_bytes"] == bound
    assert where == "block_1/depthwise"
    assert 700_000 < bound < 800_000  # MCUNetV2's ~750 KB for MobileNetV2-0.35 at 224x224
    assert report["ram"]["arena_bytes"] <= bound
