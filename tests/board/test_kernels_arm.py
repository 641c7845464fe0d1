"""The DSP-extension kernels (runtime_c/kernels_arm) on an emulated Cortex-M4 (QEMU mps2-an386).

`tinymem build` compiles runtime_c/kernels_arm/<name>.c instead of the portable kernel when the
board has the DSP extension. These kernels must give the host simulator's outputs (the portable
kernels, themselves checked against TFLite Micro in tests/ops) bit for bit:

- their requantization helpers against the portable definitions, on the core itself;
- every DSP kernel (conv2d, depthwise 3x3, fully connected, the in-place conv and depthwise) on a
  model of many small layers chosen to reach each code path (panel and pairs convs, padded kernel
  rows, strides, dilation, groups, partial filter blocks, batches, clamps other than [-128, 127],
  right shifts above 21, left shifts, in-place pixels and channels modes), through the
  semihosting harness, with the firmware of the portable kernels as a second reference;
- the four MLPerf Tiny models on dataset inputs: tests/board/test_mlperf_agent.py and
  test_agent.py (through the serial agent; nucleo-l4r5zi has the DSP extension).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.board.harness import HERE, INCLUDES, build_harness
from tests.ops.test_conv2d import conv_options, out_hw
from tests.tflite_builder import T, build_model
from tinymem.boards.firmware import ARM_KERNELS_DIR, build_firmware, kernel_sources
from tinymem.compile import compile_model
from tinymem.errors import InputError
from tinymem.ir import np_dtype
from tinymem.sim.host import io_descriptors, run_host
from tinymem.sim.qemu import run_semihosted

pytestmark = pytest.mark.usefixtures("arm_tools")

RNG = np.random.default_rng(2024)
BOARD = "nucleo-l4r5zi"  # Cortex-M4F with DSP; its firmware runs on QEMU mps2-an386


def _scales(n: int, lo: float, hi: float) -> list[float]:
    return np.exp(RNG.uniform(np.log(lo), np.log(hi), n)).astype(np.float32).tolist()


def conv(in_shape, cout, k, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE", groups=1,
         in_q=(0.05, -3), out_q=(0.08, 5), wscale=(0.002, 0.02)):
    """CONV_2D branch: (op, [input, filter, bias], [output], options)."""
    n, h, w, c = in_shape
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    wq = RNG.integers(-127, 128, size=(cout, k[0], k[1], c // groups), dtype=np.int8)
    ws = _scales(cout, *wscale)
    bs = (np.float32(in_q[0]) * np.asarray(ws, np.float32)).tolist()
    ins = [T(in_shape, "s8", scale=in_q[0], zero_point=in_q[1]),
           T(wq.shape, "s8", scale=ws, zero_point=0, data=wq),
           T((cout,), "s32", scale=bs, zero_point=0, data=RNG.integers(-20000, 20000, cout, dtype=np.int32))]
    return "CONV_2D", ins, [T((n, oh, ow, cout), "s8", scale=out_q[0], zero_point=out_q[1])], \
        conv_options(stride, dil, padding, act)


def dwconv(in_shape, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE", in_q=(0.05, -3),
           out_q=(0.08, 5), wscale=(0.002, 0.02)):
    """DEPTHWISE_CONV_2D 3x3 branch, depth multiplier 1."""
    n, h, w, c = in_shape
    oh, ow = out_hw(h, w, (3, 3), stride, dil, padding)
    wq = RNG.integers(-127, 128, size=(1, 3, 3, c), dtype=np.int8)
    ws = _scales(c, *wscale)
    bs = (np.float32(in_q[0]) * np.asarray(ws, np.float32)).tolist()
    ins = [T(in_shape, "s8", scale=in_q[0], zero_point=in_q[1]),
           T(wq.shape, "s8", scale=ws, zero_point=0, quantized_dimension=3, data=wq),
           T((c,), "s32", scale=bs, zero_point=0, data=RNG.integers(-20000, 20000, c, dtype=np.int32))]
    return "DEPTHWISE_CONV_2D", ins, [T((n, oh, ow, c), "s8", scale=out_q[0], zero_point=out_q[1])], \
        dict(depth_multiplier=1, **conv_options(stride, dil, padding, act))


def fc(in_shape, out, per_channel=False, bias=True, act="NONE", in_q=(0.05, -3), out_q=(0.1, 2)):
    """FULLY_CONNECTED branch."""
    depth = int(np.prod(in_shape[1:]))
    w = RNG.integers(-127, 128, size=(out, depth), dtype=np.int8)
    ws = _scales(out, 0.002, 0.02) if per_channel else 0.01
    bs = (np.float32(in_q[0]) * np.asarray(ws, np.float32)).tolist() if per_channel else in_q[0] * 0.01
    ins = [T(in_shape, "s8", scale=in_q[0], zero_point=in_q[1]), T(w.shape, "s8", scale=ws, zero_point=0, data=w),
           T((out,), "s32", scale=bs, zero_point=0, data=RNG.integers(-5000, 5000, out, dtype=np.int32))
           if bias else None]
    return "FULLY_CONNECTED", ins, [T((in_shape[0], out), "s8", scale=out_q[0], zero_point=out_q[1])], \
        dict(fused_activation_function=act)


def branches_model(branches) -> bytes:
    """One model running every branch on its own input: inputs i, outputs i (in branch order)."""
    tensors, ops, inputs, outputs = [], [], [], []
    for name, ins, outs, opts in branches:
        idx = []
        for t in ins:
            if t is None:
                idx.append(-1)
                continue
            idx.append(len(tensors))
            if t.data is None:
                inputs.append(len(tensors))
            tensors.append(t)
        out_idx = list(range(len(tensors), len(tensors) + len(outs)))
        tensors.extend(outs)
        outputs.extend(out_idx)
        ops.append((name, idx, out_idx, opts))
    return build_model(ops, tensors, inputs, outputs)


def coverage_branches():
    tiny = (1e-9, 1e-6)  # weight scales that give right shifts of 22..31 (VWW has such channels)
    return [
        conv((1, 7, 6, 5), 10, (3, 3), act="RELU"),                     # padded kernel rows (kw*c = 15), partial block
        conv((1, 9, 8, 4), 7, (3, 3), (2, 2), padding="VALID"),          # dense spans, stride 2
        conv((2, 5, 3, 16), 16, (1, 1), act="RELU6"),                    # pointwise, batch 2, clamp != [-128, 127]
        conv((1, 8, 8, 12), 9, (1, 1), (2, 2)),                          # strided pointwise, 9 filters
        conv((1, 9, 7, 3), 8, (3, 2), (2, 1), (2, 2), act="RELU_N1_TO_1"),  # dilated: im2col rows
        conv((1, 6, 6, 8), 6, (3, 3), groups=2),                         # grouped: pairs path
        conv((1, 5, 5, 64), 12, (3, 3)),                                 # depth 576: panel too large, pairs path
        conv((1, 6, 7, 6), 8, (1, 1)),                                   # pointwise, c % 4 != 0: pairs path
        conv((1, 1, 1, 32), 8, (1, 1)),                                  # one pixel: pairs path
        conv((1, 5, 5, 20), 12, (3, 3), in_q=(0.05, 127), out_q=(0.0004, -128)),  # left shifts, zp 127
        conv((1, 6, 6, 16), 40, (3, 3), wscale=tiny),                    # right shifts > 21, two panels
        conv((1, 13, 10, 1), 16, (10, 4), (2, 2), act="RELU"),           # KWS-like first layer
        conv((1, 10, 10, 3), 16, (3, 3), (2, 2)),                        # VWW/IC-like first layer (c = 3)
        dwconv((1, 8, 8, 8)),                                            # stride 1: shared columns
        dwconv((1, 9, 9, 16), (2, 2), act="RELU"),                       # stride 2 pairs
        dwconv((1, 7, 9, 5), (1, 1), (2, 2), padding="VALID"),           # dilated
        dwconv((2, 6, 6, 40)),                                           # 2 channel chunks, batch 2
        dwconv((1, 5, 4, 12), act="RELU6"),                              # clamp != [-128, 127]
        dwconv((1, 6, 6, 8), wscale=tiny),                               # large right shifts
        dwconv((1, 5, 4, 6), in_q=(0.05, 127), out_q=(0.0002, -128)),   # left shifts, zp 127
        fc((1, 37), 13),                                                 # depth and row tails
        fc((2, 64), 8, per_channel=True, act="RELU"),                    # batches, per channel
        fc((1, 100), 4, bias=False),                                     # no bias
    ]


def inplace_model() -> bytes:
    """A chain the compiler runs in place: pointwise with out.c == in.c (pixels mode, forward),
    out.c > in.c (backward), 3x3 depthwise on small planes (channels mode) and larger ones."""
    specs = [
        conv((1, 12, 12, 8), 16, (1, 1), act="RELU", out_q=(0.05, -3)),
        dwconv((1, 12, 12, 16), act="RELU", out_q=(0.05, -3)),
        conv((1, 12, 12, 16), 16, (1, 1), act="RELU", out_q=(0.05, -3)),
        dwconv((1, 12, 12, 16), (2, 2), act="RELU", out_q=(0.05, -3)),
        conv((1, 6, 6, 16), 64, (1, 1), act="RELU", out_q=(0.05, -3)),
        dwconv((1, 6, 6, 64), act="RELU", out_q=(0.05, -3)),
        conv((1, 6, 6, 64), 64, (1, 1), act="RELU", out_q=(0.05, -3)),
        conv((1, 6, 6, 64), 32, (1, 1), out_q=(0.05, -3)),
    ]
    tensors, ops = [], []
    cur = None
    for name, ins, outs, opts in specs:
        idx = []
        for i, t in enumerate(ins):
            if i == 0 and cur is not None:
                idx.append(cur)
                continue
            idx.append(len(tensors))
            tensors.append(t)
        cur = len(tensors)
        tensors.extend(outs)
        ops.append((name, idx, [cur], opts))
    return build_model(ops, tensors, [0], [cur])


@pytest.fixture(scope="module")
def compiled_model(tmp_path_factory):
    def get(name: str, model: bytes) -> Path:
        d = tmp_path_factory.mktemp(name)
        (d / "model.tflite").write_bytes(model)
        compile_model(d / "model.tflite", d / "out")
        return d / "out"
    return get


def _random_samples(out: Path, n: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    in_desc, _ = io_descriptors(out)
    return [[rng.integers(-128, 128, size=d["shape"], dtype=np.int8) for d in in_desc] for _ in range(n)]


def _run(out: Path, samples, board: str, dsp: bool | None):
    """tests/board/harness.run_harness with a choice of kernels: (outputs, counts) per sample."""
    fw = build_harness(out, board, dsp_kernels=dsp)
    in_desc, out_desc = io_descriptors(out)
    with tempfile.TemporaryDirectory() as tmp:
        with open(Path(tmp) / "in.bin", "wb") as f:
            for xs in samples:
                for x, d in zip(xs, in_desc):
                    f.write(np.ascontiguousarray(x, dtype=np_dtype(d["dtype"])).tobytes())
        status, console = run_semihosted(fw.elf, fw.machine.name, tmp, 120)
        assert status == 0, f"harness exited with {status}: {console}"
        raw = (Path(tmp) / "out.bin").read_bytes()
        counts = np.frombuffer((Path(tmp) / "cycles.bin").read_bytes(), "<u4").tolist()
    outputs, pos = [], 0
    for _ in samples:
        ys = []
        for d in out_desc:
            dt = np_dtype(d["dtype"])
            n = int(np.prod(d["shape"]))
            ys.append(np.frombuffer(raw, dt, count=n, offset=pos).reshape(d["shape"]))
            pos += n * dt.itemsize
        outputs.append(ys)
    assert pos == len(raw)
    return outputs, counts, fw


def _check(out: Path, samples, board: str = BOARD, dsp: bool | None = None):
    outputs, counts, fw = _run(out, samples, board, dsp)
    for i, (xs, ys) in enumerate(zip(samples, outputs)):
        want = run_host(out, xs)
        for j, (y, w) in enumerate(zip(ys, want)):
            bad = np.flatnonzero(y.ravel() != w.ravel())
            assert bad.size == 0, (f"sample {i}, output {j}: {bad.size} values differ from the host simulator, "
                                   f"first at {bad[0]}: {y.ravel()[bad[0]]} vs {w.ravel()[bad[0]]}")
    return counts, fw


def test_requantization_helpers_match_the_portable_definitions(compiled):
    """tm_arm_requant, tm_arm_requant_ms and tm_arm_rqf_apply against tm_conv_requant_ch and
    tm_multiply_by_quantized_multiplier, on the Cortex-M4 (edge and pseudo-random operands)."""
    fw = build_firmware(compiled("tflm_hello_world_int8"), BOARD, emulate=True,
                        app_sources=[HERE / "requant_arm_main.c"], app_includes=[*INCLUDES, ARM_KERNELS_DIR])
    with tempfile.TemporaryDirectory() as tmp:
        status, console = run_semihosted(fw.elf, fw.machine.name, tmp, 120)
        assert status == 0, f"a requantization helper differs: {console}"
        cases, fast = map(int, (Path(tmp) / "requant.txt").read_text().split())
    assert cases == 62 * 1200 * 8 and fast > cases // 10, (cases, fast)


def test_dsp_kernels_match_the_host_on_every_code_path(compiled_model):
    out = compiled_model("coverage", branches_model(coverage_branches()))
    kernels, arm = kernel_sources(out, True)
    assert {"tm_conv2d_s8", "tm_depthwise_conv2d_3x3_s8", "tm_fully_connected_s8"} <= set(arm)
    assert all(str(k).startswith(str(ARM_KERNELS_DIR)) == (k.stem in arm) for k in kernels)
    samples = _random_samples(out, 6, seed=1)
    samples.append([np.full_like(x, -128) for x in samples[0]])  # extreme accumulators
    samples.append([np.full_like(x, 127) for x in samples[0]])
    dsp, fw = _check(out, samples)
    assert fw.info["kernels"]["dsp"] and "tm_conv2d_s8" in fw.info["kernels"]["arm"]
    portable, fw = _check(out, samples, dsp=False)
    assert not fw.info["kernels"]["dsp"]
    assert sum(dsp) < sum(portable), "the DSP kernels should execute fewer instructions"


def test_inplace_dsp_kernels_match_the_host(compiled_model):
    out = compiled_model("inplace", inplace_model())
    report_inplace = json.loads((out / "report.json").read_text())["memory"].get("inplace", [])
    assert len(report_inplace) >= 4, "the compiler no longer runs these layers in place"
    _, arm = kernel_sources(out, True)
    assert {"tm_conv2d_inplace_s8", "tm_depthwise_conv2d_inplace_s8"} <= set(arm)
    _check(out, _random_samples(out, 6, seed=2))


def test_board_without_dsp_uses_the_portable_kernels(compiled):
    out = compiled("mlperf_ad_autoenc_int8")
    with pytest.raises(InputError, match="no DSP extension"):
        build_firmware(out, "rpi-pico", emulate=True, dsp_kernels=True)
    kernels, arm = kernel_sources(out, False)
    assert arm == [] and all(k.parent.name == "kernels" for k in kernels)


def test_portable_build_on_a_dsp_board_is_kept_apart(compiled):
    out = compiled("mlperf_ad_autoenc_int8")
    dsp = build_firmware(out, BOARD, emulate=True)
    portable = build_firmware(out, BOARD, emulate=True, dsp_kernels=False)
    assert dsp.info["kernels"] == {"dsp": True, "arm": ["tm_fully_connected_s8"]}
    assert portable.info["kernels"] == {"dsp": False, "arm": []}
    assert portable.elf.parent.name == "kernels-portable" and dsp.elf != portable.elf
