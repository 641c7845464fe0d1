"""The ONNX frontend: parsing errors, static shapes, constant folding, If specialisation, layout
(NCHW -> NHWC), BatchNorm folding, activation fusion and QDQ lowering.

Models are built with onnx.helper; results of the imported IR (numpy reference interpreter)
are compared with onnxruntime, an independent implementation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

from tinymem.compiler.canonicalize import canonicalize
from tinymem.errors import InputError, ModelFormatError, UnsupportedOperatorError
from tinymem.frontend.onnx import load_onnx
from tinymem.ir import verify
from tinymem.sim.interpret import interpret

ROOT = Path(__file__).resolve().parents[2]
DEMO_F32 = ROOT / "models" / "demo_digits_f32.onnx"
DEMO_QDQ = ROOT / "models" / "demo_digits_int8_qdq.onnx"
vi = helper.make_tensor_value_info


def model(nodes, inputs, outputs, inits=(), opset=13) -> bytes:
    g = helper.make_graph(nodes, "g", inputs, outputs, [numpy_helper.from_array(v, k) for k, v in dict(inits).items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    return m.SerializeToString()


def load(data: bytes, shapes=None, consts=None):
    return canonicalize(verify(load_onnx(data, "m.onnx", shapes or {}, consts or {})))


def ort(data: bytes, feeds: dict, basic: bool = False) -> list[np.ndarray]:
    import onnxruntime as rt

    so = rt.SessionOptions()
    so.log_severity_level = 3
    if basic:  # QDQ rounded through float (ORT's fused int8 kernels saturate on some CPUs)
        so.graph_optimization_level = rt.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = rt.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def check(data: bytes, feeds: dict, shapes=None, consts=None, atol=1e-5):
    g = load(data, shapes, consts)
    got = interpret(g, [feeds[n] for n in g.inputs])
    ort_feeds = dict(feeds)
    for k, v in (consts or {}).items():
        ort_feeds[k] = np.array(v, dtype=np.int64)
    want = ort(data, ort_feeds)
    for gv, w in zip(got, want):
        assert gv.shape == w.shape
        np.testing.assert_allclose(gv, w, rtol=1e-5, atol=atol)
    return g


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def ops(g) -> list[str]:
    return [n.op for n in g.nodes]


# -- file and input errors --------------------------------------------------------------------
@pytest.mark.parametrize("cut", [0, 7, 300, -40])
def test_truncated_or_corrupt_file_is_a_model_format_error(cut):
    data = DEMO_F32.read_bytes()
    damaged = data[:cut] if cut >= 0 else data[:cut] + b"\xff" * 8
    with pytest.raises(ModelFormatError, match="m.onnx"):
        load_onnx(damaged, "m.onnx", {}, {})


def test_garbage_is_a_model_format_error():
    with pytest.raises(ModelFormatError, match="m.onnx: corrupt or truncated"):
        load_onnx(b"\x00\x01not a model at all\xff" * 10, "m.onnx", {}, {})


def test_unsupported_operator_names_op_node_and_supported_set():
    data = model([helper.make_node("Relu", ["x"], ["r"], name="ok"),
                  helper.make_node("Det", ["r"], ["y"], name="det_1")],
                 [vi("x", TP.FLOAT, [1, 3, 3])], [vi("y", TP.FLOAT, None)], {})
    with pytest.raises(UnsupportedOperatorError) as e:
        load_onnx(data, "m.onnx", {}, {})
    msg = str(e.value)
    assert "\n" not in msg and "Det" in msg and "det_1" in msg and "Conv" in msg and "Relu" in msg
    assert e.value.exit_code == 2


def test_dynamic_dim_needs_input_shape():
    data = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", TP.FLOAT, ["batch", 4])],
                 [vi("y", TP.FLOAT, ["batch", 4])])
    with pytest.raises(InputError, match=r"'x'.*--input-shape x=1x4"):
        load_onnx(data, "m.onnx", {}, {})
    g = load(data, {"x": (3, 4)})
    assert g.tensor(g.inputs[0]).shape == (3, 4) and g.tensor(g.outputs[0]).shape == (3, 4)
    with pytest.raises(InputError, match="no input 'y'"):
        load_onnx(data, "m.onnx", {"y": (1, 4)}, {})
    with pytest.raises(InputError, match="rank 2"):
        load_onnx(data, "m.onnx", {"x": (1, 2, 4)}, {})


def test_symbolic_dim_pinned_once_for_all_inputs():
    data = model([helper.make_node("Add", ["a", "b"], ["y"])],
                 [vi("a", TP.FLOAT, ["n", 4]), vi("b", TP.FLOAT, ["n", 4])], [vi("y", TP.FLOAT, ["n", 4])])
    g = load(data, {"a": (2, 4)})
    assert [g.tensor(n).shape for n in g.inputs] == [(2, 4), (2, 4)]


# -- constant folding and specialisation -------------------------------------------------------
def test_shape_subgraph_is_folded():
    # y = Reshape(x, Concat(Shape(x)[0], -1)): a flatten written as shape arithmetic
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
             helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["y"])]
    data = model(nodes, [vi("x", TP.FLOAT, ["batch", 2, 3])], [vi("y", TP.FLOAT, None)],
                 {"zero": np.array(0, np.int64), "ax": np.array([0], np.int64), "minus1": np.array([-1], np.int64)})
    g = check(data, {"x": rand(2, 2, 3)}, {"x": (2, 2, 3)})
    assert ops(g) == ["reshape"] and g.tensor(g.outputs[0]).shape == (2, 6)


def _if_model():
    then = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [], [vi("t", TP.FLOAT, None)])
    other = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["e"])], "else", [], [vi("e", TP.FLOAT, None)])
    nodes = [helper.make_node("Equal", ["sr", "k"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other)]
    return model(nodes, [vi("x", TP.FLOAT, [1, 4]), vi("sr", TP.INT64, [])], [vi("y", TP.FLOAT, [1, 4])],
                 {"k": np.array(16000, np.int64)})


@pytest.mark.parametrize("sr, op", [(16000, "relu"), (8000, "logistic")])
def test_const_input_folds_if(sr, op):
    g = check(_if_model(), {"x": rand(1, 4)}, consts={"sr": sr})
    assert ops(g) == [op] and g.inputs == ["x"]


def test_unknown_const_name_is_an_input_error():
    with pytest.raises(InputError, match="--const rate"):
        load_onnx(_if_model(), "m.onnx", {}, {"rate": 1.0})


# -- layout -----------------------------------------------------------------------------------
def _conv(c_in=3, c_out=4, group=1, k=3, pads=(1, 1, 1, 1), strides=(1, 1), hw=(6, 5), extra=(), bias=True):
    rng = np.random.default_rng(1)
    inits = {"W": rng.normal(size=(c_out, c_in // group, k, k)).astype(np.float32)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = rng.normal(size=(c_out,)).astype(np.float32)
        ins.append("B")
    nodes = [helper.make_node("Conv", ins, ["c"], group=group, kernel_shape=[k, k], pads=list(pads),
                              strides=list(strides))]
    last = "c"
    for i, (op, kw) in enumerate(extra):
        nodes.append(helper.make_node(op, [last] + kw.pop("_inputs", []), [f"e{i}"], **kw))
        last = f"e{i}"
    nodes[-1].output[0] = "y"
    return model(nodes, [vi("x", TP.FLOAT, [1, c_in, *hw])], [vi("y", TP.FLOAT, None)], inits), inits


def test_conv_is_nhwc_with_ohwi_weights_and_output_keeps_onnx_layout():
    data, inits = _conv()
    g = check(data, {"x": rand(1, 3, 6, 5)})
    conv = next(n for n in g.nodes if n.op == "conv2d")
    assert g.tensor(conv.inputs[0]).shape == (1, 6, 5, 3)
    np.testing.assert_array_equal(g.tensor(conv.inputs[1]).data, inits["W"].transpose(0, 2, 3, 1))
    assert conv.attrs["pads"] == [1, 1, 1, 1]
    assert g.tensor(g.outputs[0]).shape == (1, 4, 6, 5) and g.outputs == ["y"]
    assert ops(g) == ["transpose", "conv2d", "transpose"]


def test_single_channel_and_1x1_boundaries_are_aliases():
    data, _ = _conv(c_in=1, c_out=1, hw=(5, 5))
    g = check(data, {"x": rand(1, 1, 5, 5)})
    assert ops(g) == ["reshape", "conv2d", "reshape"]


def test_depthwise_conv_weights_are_1hwc():
    data, inits = _conv(c_in=4, c_out=8, group=4, pads=(0, 1, 2, 1), strides=(2, 1))
    g = check(data, {"x": rand(1, 4, 6, 5)}, atol=1e-4)
    dw = next(n for n in g.nodes if n.op == "depthwise_conv2d")
    np.testing.assert_array_equal(g.tensor(dw.inputs[1]).data, inits["W"].transpose(1, 2, 3, 0))
    assert dw.attrs["pads"] == [0, 1, 2, 1] and dw.attrs["strides"] == [2, 1]


def test_flatten_of_nhwc_goes_back_to_nchw_order():
    data, _ = _conv(extra=[("Relu", {}), ("Flatten", {"axis": 1})])
    g = check(data, {"x": rand(1, 3, 6, 5)})
    assert ops(g) == ["transpose", "conv2d", "transpose", "reshape"]


def test_global_average_pool_and_softmax_over_channels():
    data, _ = _conv(extra=[("GlobalAveragePool", {}), ("Flatten", {}), ("Softmax", {"axis": 1})])
    g = check(data, {"x": rand(1, 3, 6, 5)})
    assert "transpose" not in ops(g)[1:]  # after the input, H*W = 1: reshapes only


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_auto_pad(auto_pad):
    w = np.random.default_rng(2).normal(size=(2, 3, 3, 3)).astype(np.float32)
    data = model([helper.make_node("Conv", ["x", "W"], ["y"], auto_pad=auto_pad, strides=[2, 2])],
                 [vi("x", TP.FLOAT, [1, 3, 6, 7])], [vi("y", TP.FLOAT, None)], {"W": w})
    check(data, {"x": rand(1, 3, 6, 7)}, atol=1e-4)


def test_transpose_and_concat_and_slice_remap_axes():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Concat", ["t", "t"], ["c"], axis=-1),
             helper.make_node("Slice", ["c", "st", "en", "ax", "sp"], ["y"])]
    inits = {"st": np.array([1, 0], np.int64), "en": np.array([100, 5], np.int64),
             "ax": np.array([1, 3], np.int64), "sp": np.array([2, 2], np.int64)}
    data = model(nodes, [vi("x", TP.FLOAT, [1, 3, 4, 5])], [vi("y", TP.FLOAT, None)], inits)
    check(data, {"x": rand(1, 3, 4, 5)})


# -- compiler passes --------------------------------------------------------------------------
def test_demo_batchnorm_is_folded_and_relus_fused():
    g = check(DEMO_F32.read_bytes(), {"input": rand(1, 1, 8, 8)}, atol=1e-4)
    assert ops(g) == ["reshape", "conv2d", "conv2d", "max_pool2d", "conv2d", "transpose", "reshape",
                      "fully_connected"]
    assert [n.attrs["act"] for n in g.nodes if n.op == "conv2d"] == ["relu", "relu", "relu"]


def test_standalone_batchnorm_is_mul_add():
    rng = np.random.default_rng(3)
    c = 3
    inits = {"s": rng.uniform(0.5, 2, c).astype(np.float32), "b": rng.normal(size=c).astype(np.float32),
             "m": rng.normal(size=c).astype(np.float32), "v": rng.uniform(0.5, 2, c).astype(np.float32)}
    data = model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
                 [vi("x", TP.FLOAT, [1, c, 4, 4])], [vi("y", TP.FLOAT, None)], inits)
    g = check(data, {"x": rand(1, c, 4, 4)})
    assert ops(g) == ["transpose", "mul", "add", "transpose"] or ops(g) == ["mul", "add"]


def test_clip_relu6_fuses_into_conv_and_add():
    data, _ = _conv(extra=[("Clip", {"_inputs": ["lo", "hi"]})])
    m = onnx.load_from_string(data)
    m.graph.initializer.extend([numpy_helper.from_array(np.array(0, np.float32), "lo"),
                                numpy_helper.from_array(np.array(6, np.float32), "hi")])
    g = check(m.SerializeToString(), {"x": rand(1, 3, 6, 5) * 4})
    assert next(n for n in g.nodes if n.op == "conv2d").attrs["act"] == "relu6"
    assert "relu" not in ops(g)


@pytest.mark.parametrize("trans_b, alpha, beta, c_shape", [(1, 1.0, 1.0, (4,)), (0, 0.5, 2.0, (1, 4)),
                                                           (0, 1.0, 1.0, (3, 4))])
def test_gemm_variants(trans_b, alpha, beta, c_shape):
    rng = np.random.default_rng(4)
    b = rng.normal(size=(4, 5) if trans_b else (5, 4)).astype(np.float32)
    data = model([helper.make_node("Gemm", ["a", "B", "C"], ["y"], transB=trans_b, alpha=alpha, beta=beta)],
                 [vi("a", TP.FLOAT, [3, 5])], [vi("y", TP.FLOAT, None)],
                 {"B": b, "C": rng.normal(size=c_shape).astype(np.float32)})
    check(data, {"a": rand(3, 5)})


def test_matmul_with_leading_dims():
    w = np.random.default_rng(5).normal(size=(5, 2)).astype(np.float32)
    data = model([helper.make_node("MatMul", ["a", "W"], ["y"])], [vi("a", TP.FLOAT, [2, 3, 5])],
                 [vi("y", TP.FLOAT, None)], {"W": w})
    g = check(data, {"a": rand(2, 3, 5)})
    assert g.tensor(g.outputs[0]).shape == (2, 3, 2)


def test_qdq_demo_is_lowered_to_int8_kernels_within_one_step():
    data = DEMO_QDQ.read_bytes()
    g = load(data)
    assert ops(g) == ["quantize", "reshape", "conv2d", "conv2d", "max_pool2d", "conv2d", "transpose", "reshape",
                      "fully_connected", "dequantize"]
    for n in g.nodes:
        if n.op in ("conv2d", "fully_connected"):
            x, w, b = (g.tensor(t) for t in n.inputs)
            assert (x.dtype, w.dtype, b.dtype, g.tensor(n.outputs[0]).dtype) == ("s8", "s8", "s32", "s8")
            assert w.quant.per_channel and w.quant.axis == 0
    step = g.tensor(g.nodes[-1].inputs[0]).scale
    xs = np.load(ROOT / "models" / "demo_digits_samples.npz")["x"][:30]
    for i, x in enumerate(list(xs) + [rand(1, 1, 8, 8, seed=s) for s in range(30)]):
        x = x.reshape(1, 1, 8, 8)
        got, = interpret(g, [x])
        want, = ort(data, {"input": x}, basic=True)
        assert np.abs(got - want).max() <= step * 1.0001, f"sample {i}"


def test_uint8_qdq_activations_become_int8():
    rng = np.random.default_rng(6)
    w = rng.integers(-127, 128, size=(4, 3, 1, 1)).astype(np.int8)
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "ws"], ["wd"], axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"]),
             helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["cq"]),
             helper.make_node("DequantizeLinear", ["cq", "ys", "yz"], ["y"])]
    inits = {"xs": np.array(0.01, np.float32), "xz": np.array(120, np.uint8), "w": w,
             "ws": rng.uniform(0.001, 0.01, 4).astype(np.float32), "ys": np.array(0.05, np.float32),
             "yz": np.array(130, np.uint8)}
    data = model(nodes, [vi("x", TP.FLOAT, [1, 3, 4, 4])], [vi("y", TP.FLOAT, None)], inits)
    g = load(data)
    conv = next(n for n in g.nodes if n.op == "conv2d")
    assert g.tensor(conv.inputs[0]).dtype == "s8" and g.tensor(conv.inputs[0]).zero_point == 120 - 128
    x = rand(1, 3, 4, 4)
    got, = interpret(g, [x])
    want, = ort(data, {"x": x}, basic=True)
    assert np.abs(got - want).max() <= 0.05 * 1.0001


def test_conv1d_and_pool1d_run_on_the_2d_kernels():
    w = np.random.default_rng(7).normal(size=(4, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1], strides=[2]),
             helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2], strides=[1])]
    data = model(nodes, [vi("x", TP.FLOAT, [1, 3, 9])], [vi("y", TP.FLOAT, None)], {"W": w})
    g = check(data, {"x": rand(1, 3, 9)}, atol=1e-4)
    conv = next(n for n in g.nodes if n.op == "conv2d")
    assert g.tensor(conv.inputs[0]).shape == (1, 1, 9, 3) and g.tensor(g.outputs[0]).shape == (1, 4, 4)


def test_no_fusion_when_the_conv_output_has_two_readers():
    data, _ = _conv(c_in=2, c_out=2, extra=[("Relu", {})])
    m = onnx.load_from_string(data)
    m.graph.node.append(helper.make_node("Add", ["y", "c"], ["z"]))  # reads the pre-relu value too
    m.graph.output.append(vi("z", TP.FLOAT, None))
    g = check(m.SerializeToString(), {"x": rand(1, 2, 6, 5)})
    assert next(n for n in g.nodes if n.op == "conv2d").attrs["act"] == "none" and "relu" in ops(g)


def _quantized(float_model: bytes, feeds: list[dict], tmp_path, per_channel=True, act_type="QInt8") -> bytes:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    src.write_bytes(float_model)
    quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=getattr(QuantType, act_type), weight_type=QuantType.QInt8,
                    per_channel=per_channel)
    return dst.read_bytes()


@pytest.mark.parametrize("act_type", ["QInt8", "QUInt8"])
def test_quantized_residual_net_within_one_step(tmp_path, act_type):
    rng = np.random.default_rng(8)
    inits = {"W1": rng.normal(size=(8, 3, 3, 3)).astype(np.float32) * 0.3, "B1": rng.normal(size=8).astype(np.float32),
             "W2": rng.normal(size=(8, 8, 3, 3)).astype(np.float32) * 0.2, "B2": rng.normal(size=8).astype(np.float32),
             "F": rng.normal(size=(8, 5)).astype(np.float32), "FB": rng.normal(size=5).astype(np.float32)}
    nodes = [helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c2", "r1"], ["s"]),
             helper.make_node("Relu", ["s"], ["r2"]),
             helper.make_node("GlobalAveragePool", ["r2"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("MatMul", ["f", "F"], ["m"]),
             helper.make_node("Add", ["m", "FB"], ["y"])]
    data = model(nodes, [vi("x", TP.FLOAT, [1, 3, 6, 6])], [vi("y", TP.FLOAT, [1, 5])], inits)
    calib = [{"x": rand(1, 3, 6, 6, seed=s) + 0.5} for s in range(16)]
    q = _quantized(data, calib, tmp_path, act_type=act_type)
    g = load(q)
    assert {n.op for n in g.nodes} <= {"quantize", "dequantize", "reshape", "transpose", "conv2d", "add", "mean",
                                       "fully_connected", "identity"}
    assert [n.op for n in g.nodes].count("quantize") == 1 and [n.op for n in g.nodes].count("dequantize") == 1
    assert all(g.tensor(n.outputs[0]).dtype == "s8" for n in g.nodes if n.op in ("conv2d", "add", "mean"))
    step = g.tensor(g.nodes[-1].inputs[0]).scale
    for s in range(20):
        x = rand(1, 3, 6, 6, seed=100 + s) + 0.5
        got, = interpret(g, [x])
        want, = ort(q, {"x": x}, basic=True)
        assert np.abs(got - want).max() <= step * 1.0001, f"sample {s}: {np.abs(got - want).max() / step} steps"
