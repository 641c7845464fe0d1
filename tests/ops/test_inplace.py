"""In-place execution and zero-copy views: chains of int8 layers through TFLM (oracle) and the
generated C (ASan + UBSan), compiled with the default in-place scheduling. The report must show
the layers running in place (or as views) and the outputs must be bit-identical.

Each chain overwrites its graph input too (`overwrite_inputs`), so its first layer runs in place
as well. Quantization scales are chosen so that values stay spread over the int8 range layer after
layer (a saturated layer would hide errors downstream).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tests.ops.harness import assert_close
from tests.ops.test_conv2d import conv_options, out_hw
from tests.tflite_builder import T, build_model, run_tflm
from tinymem.compile import CompileOptions, compile_model
from tinymem.ops._inplace import INPLACE_PIXELS
from tinymem.sim.host import run_host

RNG = np.random.default_rng(2024)


class Chain:
    """A TFLite model built layer by layer; `cur` is the tensor the next layer reads."""

    def __init__(self, in_shape):
        self.tensors = [T(in_shape, "s8", scale=1 / 64, zero_point=-3)]
        self.ops: list[tuple] = []
        self.cur = 0

    def _act(self, shape, scale):
        self.tensors.append(T(tuple(shape), "s8", scale=float(scale), zero_point=int(RNG.integers(-10, 10))))
        return len(self.tensors) - 1

    def _const(self, t):
        self.tensors.append(t)
        return len(self.tensors) - 1

    def conv(self, cout, k=(1, 1), stride=(1, 1), dil=(1, 1), padding="SAME", groups=1, act="NONE", src=None,
             like=None):
        """like: an activation tensor index whose quantization the output copies."""
        src = self.cur if src is None else src
        x = self.tensors[src]
        n, h, w, c = x.shape
        oh, ow = out_hw(h, w, k, stride, dil, padding)
        depth = k[0] * k[1] * c // groups
        wq = RNG.integers(-127, 128, size=(cout, k[0], k[1], c // groups), dtype=np.int8)
        ws = (RNG.uniform(0.7, 1.3, cout) / (73 * np.sqrt(depth))).astype(np.float32)
        bs = (np.float32(x.scale) * ws).tolist()
        wi = self._const(T(wq.shape, "s8", scale=ws.tolist(), zero_point=0, data=wq))
        bias = RNG.integers(-2000, 2000, cout, dtype=np.int32)
        bi = self._const(T((cout,), "s32", scale=bs, zero_point=0, data=bias))
        y = self._act((n, oh, ow, cout), x.scale * 1.2)
        if like is not None:
            self.tensors[y] = T((n, oh, ow, cout), "s8", scale=self.tensors[like].scale,
                                zero_point=self.tensors[like].zero_point)
        self.ops.append(("CONV_2D", [src, wi, bi], [y], conv_options(stride, dil, padding, act)))
        self.cur = y
        return y

    def dw(self, mult=1, k=(3, 3), stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE"):
        x = self.tensors[self.cur]
        n, h, w, c = x.shape
        oh, ow = out_hw(h, w, k, stride, dil, padding)
        cout = c * mult
        wq = RNG.integers(-127, 128, size=(1, k[0], k[1], cout), dtype=np.int8)
        ws = (RNG.uniform(0.7, 1.3, cout) / (73 * np.sqrt(k[0] * k[1]))).astype(np.float32)
        wi = self._const(T(wq.shape, "s8", scale=ws.tolist(), zero_point=0, quantized_dimension=3, data=wq))
        bi = self._const(T((cout,), "s32", scale=(np.float32(x.scale) * ws).tolist(), zero_point=0,
                           data=RNG.integers(-2000, 2000, cout, dtype=np.int32)))
        y = self._act((n, oh, ow, cout), x.scale * 1.2)
        self.ops.append(("DEPTHWISE_CONV_2D", [self.cur, wi, bi], [y],
                         dict(depth_multiplier=mult, **conv_options(stride, dil, padding, act))))
        self.cur = y
        return y

    def binary(self, op, a, b, act="NONE"):
        ta, tb = self.tensors[a], self.tensors[b]
        scale = max(ta.scale, tb.scale) * (1.5 if op != "MUL" else 40)
        y = self._act(ta.shape, scale)
        self.ops.append((op, [a, b], [y], {"fused_activation_function": act}))
        self.cur = y
        return y

    def unary(self, op, **options):
        x = self.tensors[self.cur]
        scale = x.scale if op in ("LEAKY_RELU", "RELU") else 1 / 256 if op == "LOGISTIC" else 1 / 128
        zp = -128 if op == "LOGISTIC" else 0
        self.tensors.append(T(x.shape, "s8", scale=scale, zero_point=zp))
        y = len(self.tensors) - 1
        self.ops.append((op, [self.cur], [y], options))
        self.cur = y
        return y

    def concat(self, parts, axis):
        ts = [self.tensors[p] for p in parts]
        shape = list(ts[0].shape)
        shape[axis] = sum(t.shape[axis] for t in ts)
        self.tensors.append(T(tuple(shape), "s8", scale=ts[0].scale, zero_point=ts[0].zero_point))
        y = len(self.tensors) - 1
        self.ops.append(("CONCATENATION", list(parts), [y], {"axis": axis}))
        self.cur = y
        return y

    def split(self, axis, n):
        x = self.tensors[self.cur]
        ai = self._const(T((), "s32", data=np.asarray(axis, np.int32)))
        shape = list(x.shape)
        shape[axis] //= n
        outs = []
        for _ in range(n):
            self.tensors.append(T(tuple(shape), "s8", scale=x.scale, zero_point=x.zero_point))
            outs.append(len(self.tensors) - 1)
        self.ops.append(("SPLIT", [ai, self.cur], outs, {"num_splits": n}))
        return outs

    def model(self) -> bytes:
        return build_model(self.ops, self.tensors, [0], [self.cur])


def run_chain(chain: Chain, tmp_path, **options) -> dict:
    """Bit-exact check against TFLM; returns the report."""
    model = chain.model()
    x = RNG.integers(-128, 128, size=chain.tensors[0].shape, dtype=np.int8)
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "chain.tflite"
        path.write_bytes(model)
        opts = CompileOptions(overwrite_inputs=True, **options)
        report = compile_model(path, Path(tmp) / "out", opts)
        (got,) = run_host(Path(tmp) / "out", [x], profile="sanitize")
    (want,) = run_tflm(model, [x])
    assert np.unique(want).size > 8, "the chain saturated: choose other scales"
    assert_close(got, want, 0, "generated C (in place) vs TFLM")
    return report


def inplace_ops(report) -> dict[str, int]:
    return {o["name"]: o["scratch_bytes"] for o in report["ops"] if "inplace_of" in o}


def test_conv2d_in_place_modes(tmp_path):
    """Pointwise forward (Cout < Cin), equal, backward (Cout > Cin); 3x3 stride 1 and 2 and a
    dilated 5x3 (rows mode), a strided 1x1 (rows mode), a grouped conv."""
    c = Chain((1, 9, 8, 6))
    c.conv(12)                          # pointwise backward, over the graph input
    c.conv(12)                          # pointwise, equal channels
    c.conv(5)                           # pointwise forward
    c.conv(7, (3, 3))                   # rows, output rows wider than input rows
    c.conv(8, (5, 3), dil=(2, 1))       # dilated rows
    c.conv(8, (3, 3), (2, 2), padding="VALID")
    c.conv(8, (3, 3), groups=2, act="RELU")
    c.conv(6, (1, 1), (2, 2))           # strided pointwise: rows
    report = run_chain(c, tmp_path)
    done = inplace_ops(report)
    assert len(done) == 8, [o["name"] for o in report["ops"]]
    pointwise = [o for o in report["ops"] if o["index"] < 3]
    assert [o["scratch_bytes"] for o in pointwise] == [INPLACE_PIXELS * c_in for c_in in (6, 12, 12)]


def test_depthwise_in_place_modes(tmp_path):
    """Channels mode (plane smaller than two rows), rows mode at stride 1 and 2, dilation,
    depth multiplier 2, a 5x5 filter (general row kernel)."""
    c = Chain((1, 10, 9, 8))
    c.dw()                              # channels: plane 12 * 11 < rows 2 * 9 * 8
    c.conv(2)
    c.dw(k=(3, 3), dil=(2, 2))          # rows (plane 14 * 13 > 3 rows of 9 * 2)
    c.dw(mult=2, k=(3, 3), stride=(2, 2))  # rows, multiplier 2, general kernel
    c.dw(k=(5, 5), act="RELU6")         # general kernel, channels or rows
    c.dw(k=(3, 3), stride=(2, 1), padding="VALID")
    report = run_chain(c, tmp_path)
    assert len(inplace_ops(report)) == 6, [o["name"] for o in report["ops"]]
    plane = (10 + 2) * (9 + 2)  # one channel plane inside its padding
    assert report["ops"][0]["scratch_bytes"] == plane  # channels mode
    assert report["ops"][2]["scratch_bytes"] != (10 + 4) * (9 + 4)  # rows mode


def test_batched_pointwise_and_channels_in_place(tmp_path):
    c = Chain((2, 5, 3, 8))
    c.conv(16)
    c.dw()
    c.conv(4)
    report = run_chain(c, tmp_path)
    assert len(inplace_ops(report)) == 3


def test_elementwise_residual_in_place_and_views(tmp_path):
    """Residual Add and Mul into a dying input, activations in place; a concatenation along H
    whose producers write straight into its slices; a split along H as views of its input. With
    --io external: the input and output in the harness's own buffers, never overwritten."""
    c = Chain((1, 6, 5, 8))
    x = c.conv(8)
    y = c.conv(8, (3, 3), src=x)
    c.binary("ADD", y, x, act="RELU")   # residual: both inputs die here
    c.unary("LEAKY_RELU", alpha=0.2)
    z = c.cur
    a = c.conv(8, src=z)
    b = c.conv(8, (3, 3), src=z)
    c.binary("MUL", a, b)
    c.unary("TANH")
    p, q = c.split(1, 2)
    u = c.conv(8, src=p)
    v = c.conv(8, (3, 3), src=q, like=u)
    c.concat([u, v], 1)
    c.conv(8, (3, 3))
    report = run_chain(c, tmp_path, io="external")
    assert report["memory"]["io"] == "external" and report["ram"]["io_external_bytes"] == 2 * 6 * 5 * 8
    assert {b["region"] for b in report["memory"]["buffers"]} == {"arena", "input:0", "output:0"}
    assert "inplace_of" not in report["ops"][0]  # the caller's input stays intact
    kinds = {o["type"] for o in report["ops"] if "inplace_of" in o}
    assert {"add", "mul", "leaky_relu", "tanh", "conv2d"} <= kinds, kinds
    views = {o["type"] for o in report["ops"] if o.get("view")}
    assert views == {"split", "concatenation"}, views
    assert report["ram"]["arena_bytes"] < report["ram"]["baseline_bound_bytes"]


def test_random_dag_in_place_bit_exact(tmp_path):
    """A seeded random DAG (branches, residual adds, convs, depthwise) in the searched order."""
    rng = np.random.default_rng(5)
    c = Chain((1, 8, 6, 8))
    acts = [c.conv(8)]
    for _ in range(12):
        kind = rng.choice(["conv1", "conv3", "dw", "add"])
        src = int(rng.choice(acts[-4:]))
        c.cur = src
        if kind == "add":
            others = [a for a in acts[-4:] if a != src and c.tensors[a].shape == c.tensors[src].shape]
            if others:
                acts.append(c.binary("ADD", src, int(rng.choice(others))))
                continue
            kind = "conv1"
        if kind == "dw":
            acts.append(c.dw())
        else:
            acts.append(c.conv(int(rng.choice([4, 8, 16])), (3, 3) if kind == "conv3" else (1, 1), src=src))
    read = {i for op in c.ops for i in op[1]}
    sinks = [a for a in acts if a not in read and a != acts[-1]]
    for s in sinks:  # join every dangling branch into the last tensor
        c.cur = acts[-1]
        if c.tensors[s].shape != c.tensors[acts[-1]].shape:
            s = c.conv(c.tensors[acts[-1]].shape[3], src=s)
        acts.append(c.binary("ADD", acts[-1], s))
    report = run_chain(c, tmp_path)
    assert len(inplace_ops(report)) >= 6
    assert report["ram"]["arena_bytes"] < report["ram"]["baseline_bound_bytes"]


def test_float_conv_and_depthwise_in_place(tmp_path):
    """float32: pointwise backward and forward (pixels), depthwise and 3x3 stride 2 (rows)."""
    rng = np.random.default_rng(3)
    tensors = [T((1, 8, 7, 4), "f32")]
    ops = []

    def layer(op, wshape, out_shape, **opts):
        w = (rng.standard_normal(wshape) / np.sqrt(np.prod(wshape[1:]))).astype(np.float32)
        cout = wshape[3] if op == "DEPTHWISE_CONV_2D" else wshape[0]
        bias = rng.standard_normal(cout).astype(np.float32)
        tensors.extend([T(wshape, "f32", data=w), T((cout,), "f32", data=bias), T(out_shape, "f32")])
        n = len(tensors)
        ops.append((op, [n - 4, n - 3, n - 2], [n - 1], opts))

    layer("CONV_2D", (12, 1, 1, 4), (1, 8, 7, 12), **conv_options((1, 1), (1, 1), "SAME", "NONE"))
    layer("DEPTHWISE_CONV_2D", (1, 3, 3, 12), (1, 8, 7, 12), depth_multiplier=1,
          **conv_options((1, 1), (1, 1), "SAME", "RELU"))
    layer("CONV_2D", (6, 3, 3, 12), (1, 4, 4, 6), **conv_options((2, 2), (1, 1), "SAME", "NONE"))
    layer("CONV_2D", (3, 1, 1, 6), (1, 4, 4, 3), **conv_options((1, 1), (1, 1), "SAME", "NONE"))
    model = build_model(ops, tensors, [0], [len(tensors) - 1])
    x = rng.standard_normal((1, 8, 7, 4)).astype(np.float32)
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "f32.tflite"
        path.write_bytes(model)
        report = compile_model(path, Path(tmp) / "out", CompileOptions(overwrite_inputs=True))
        (got,) = run_host(Path(tmp) / "out", [x], profile="sanitize")
    (want,) = run_tflm(model, [x])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert len(inplace_ops(report)) == 4
