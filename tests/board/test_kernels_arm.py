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
from tinymem.compile import CompileOptions, compile_model
from tinymem.errors import InputError
from tinymem.ir import np_dtype
from tinymem.sim.host import io_descriptors, run_host
from tinymem.sim.qemu import run_semihosted

pytestmark = pytest.mark.usefixtures("arm_tools")

RNG = np.random.default_rng(2024)
BOARD = "nucleo-l4r5zi"  # Cortex-M4F with DSP; its firmware runs on QEMU mps2-an386


def _scales(n: int, lo: float, hi: float) -> list[float]:
    return np.exp(RNG.uniform(np.log(lo), np.log(hi), n)).astype(np.float32).tolist()


def _q(x: T) -> tuple[float, int]:
    return float(x.scale), int(x.zero_point)


def conv(x: T, cout, k, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE", groups=1,
         out_q=(0.08, 5), wscale=(0.002, 0.02)):
    """CONV_2D on x: (op, [x, filter, bias], [output], options)."""
    n, h, w, c = x.shape
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    wq = RNG.integers(-127, 128, size=(cout, k[0], k[1], c // groups), dtype=np.int8)
    ws = _scales(cout, *wscale)
    bs = (np.float32(_q(x)[0]) * np.asarray(ws, np.float32)).tolist()
    ins = [x, T(wq.shape, "s8", scale=ws, zero_point=0, data=wq),
           T((cout,), "s32", scale=bs, zero_point=0, data=RNG.integers(-20000, 20000, cout, dtype=np.int32))]
    return "CONV_2D", ins, [T((n, oh, ow, cout), "s8", scale=out_q[0], zero_point=out_q[1])], \
        conv_options(stride, dil, padding, act)


def dwconv(x: T, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE", out_q=(0.08, 5),
           wscale=(0.002, 0.02)):
    """DEPTHWISE_CONV_2D on x, 3x3, depth multiplier 1."""
    n, h, w, c = x.shape
    oh, ow = out_hw(h, w, (3, 3), stride, dil, padding)
    wq = RNG.integers(-127, 128, size=(1, 3, 3, c), dtype=np.int8)
    ws = _scales(c, *wscale)
    bs = (np.float32(_q(x)[0]) * np.asarray(ws, np.float32)).tolist()
    ins = [x, T(wq.shape, "s8", scale=ws, zero_point=0, quantized_dimension=3, data=wq),
           T((c,), "s32", scale=bs, zero_point=0, data=RNG.integers(-20000, 20000, c, dtype=np.int32))]
    return "DEPTHWISE_CONV_2D", ins, [T((n, oh, ow, c), "s8", scale=out_q[0], zero_point=out_q[1])], \
        dict(depth_multiplier=1, **conv_options(stride, dil, padding, act))


def fc(x: T, out, per_channel=False, bias=True, act="NONE", out_q=(0.1, 2)):
    """FULLY_CONNECTED on x (flattened per batch)."""
    depth = int(np.prod(x.shape[1:]))
    w = RNG.integers(-127, 128, size=(out, depth), dtype=np.int8)
    ws = _scales(out, 0.002, 0.02) if per_channel else 0.01
    bs = (np.float32(_q(x)[0]) * np.asarray(ws, np.float32)).tolist() if per_channel else _q(x)[0] * 0.01
    ins = [x, T(w.shape, "s8", scale=ws, zero_point=0, data=w),
           T((out,), "s32", scale=bs, zero_point=0, data=RNG.integers(-5000, 5000, out, dtype=np.int32))
           if bias else None]
    return "FULLY_CONNECTED", ins, [T((x.shape[0], out), "s8", scale=out_q[0], zero_point=out_q[1])], \
        dict(fused_activation_function=act)


def chains_model(chains, observe_all: bool = True) -> bytes:
    """One model of several chains of layers, each from its own input to its own output (every
    layer's output when observe_all, so that no later layer can hide an error).
    A chain is (input spec, [layer, ...]); a layer is a function of its input tensor spec
    returning (op, inputs, outputs, options) as conv/dwconv/fc do. Chains keep the compiler's
    search for an execution order small (independent branches make it slow)."""
    tensors, ops, inputs, outputs = [], [], [], []
    for x, layers in chains:
        cur = len(tensors)
        tensors.append(x)
        inputs.append(cur)
        for layer in layers:
            name, ins, outs, opts = layer(tensors[cur])
            idx = [cur]
            for t in ins[1:]:
                if t is None:
                    idx.append(-1)
                else:
                    idx.append(len(tensors))
                    tensors.append(t)
            cur = len(tensors)
            tensors.extend(outs)
            ops.append((name, idx, [cur], opts))
            if observe_all:
                outputs.append(cur)
        if not observe_all:
            outputs.append(cur)
    return build_model(ops, tensors, inputs, outputs)


TINY = (1e-9, 1e-6)  # weight scales that give right shifts of 22..31 (VWW has such channels)


def coverage_chains():
    """Layers reaching every code path of the DSP kernels (comments: the path)."""
    return [
        (T((1, 12, 11, 3), "s8", scale=0.05, zero_point=-3), [
            lambda x: conv(x, 5, (3, 3), act="RELU", out_q=(0.08, -128)),   # c = 3: kernel rows padded 9 -> 12; 5 filters
            lambda x: conv(x, 16, (3, 3), out_q=(0.1, 3)),                  # c = 5: rows padded 15 -> 16
            lambda x: conv(x, 12, (3, 3), (2, 2), padding="VALID"),         # rows read in place, stride 2
            lambda x: conv(x, 9, (1, 1), (2, 2)),                           # strided pointwise, partial block
            lambda x: conv(x, 8, (1, 1)),                                   # pointwise, c % 4 != 0: pairs path
            lambda x: conv(x, 6, (3, 3), groups=2),                         # grouped: pairs path
            lambda x: conv(x, 8, (3, 2), (2, 1), (2, 2), act="RELU_N1_TO_1"),  # dilated: im2col rows
            lambda x: conv(x, 64, (3, 3), act="RELU6"),                     # clamp != [-128, 127]
            lambda x: conv(x, 12, (3, 3), out_q=(0.05, 127)),               # depth 576: pairs path
            lambda x: conv(x, 12, (3, 3), out_q=(0.0004, -128)),            # input zp 127, left shifts
            lambda x: conv(x, 40, (3, 3), wscale=TINY),                     # right shifts > 21, 4 panels
            lambda x: conv(x, 32, (2, 3), padding="VALID"),                 # -> one pixel
            lambda x: conv(x, 8, (1, 1)),                                   # one pixel: pairs path
        ]),
        (T((1, 13, 10, 1), "s8", scale=0.05, zero_point=-3), [
            lambda x: conv(x, 16, (10, 4), (2, 2), act="RELU"),             # KWS-like first layer
            lambda x: dwconv(x),                                            # stride 1: shared columns, borders
            lambda x: dwconv(x, (2, 2), act="RELU"),                        # stride 2 pairs
            lambda x: conv(x, 40, (1, 1)),
            lambda x: dwconv(x),                                            # 40 channels: two chunks
            lambda x: dwconv(x, dil=(2, 2), act="RELU6"),                   # dilated, clamp != [-128, 127]
            lambda x: dwconv(x, wscale=TINY, out_q=(0.05, 127)),            # right shifts > 21
            lambda x: dwconv(x, out_q=(0.0002, -128)),                      # input zp 127, left shifts
        ]),
        (T((2, 5, 3, 16), "s8", scale=0.05, zero_point=-3), [
            lambda x: conv(x, 16, (1, 1), act="RELU6"),                     # batch 2, pointwise
            lambda x: dwconv(x),                                            # batch 2
            lambda x: fc(x, 13),                                            # batch 2, 13 rows
        ]),
        (T((1, 37), "s8", scale=0.05, zero_point=-3), [
            lambda x: fc(x, 13),                                            # depth and row tails
            lambda x: fc(x, 8, per_channel=True, act="RELU"),
            lambda x: fc(x, 4, bias=False),
        ]),
    ]


def inplace_model() -> bytes:
    """A chain the compiler runs in place (but its first layer, on the graph input): pointwise
    layers in pixels mode with out.c > in.c (last chunk first), == and < (first chunk first), in
    several chunks; 3x3 depthwise in channels mode (small planes) and rows mode; a pointwise layer
    of more than 256 input channels (the portable pixels mode, whose calls give the DSP conv no
    panel scratch: pairs path)."""
    q = (0.05, -3)
    return chains_model(observe_all=False, chains=[(T((1, 2, 3, 8), "s8", scale=q[0], zero_point=q[1]), [
        lambda x: conv(x, 264, (1, 1), act="RELU", out_q=q),
        lambda x: conv(x, 260, (1, 1), act="RELU", out_q=q),
    ]), (T((1, 12, 12, 8), "s8", scale=q[0], zero_point=q[1]), [
        lambda x: conv(x, 16, (1, 1), act="RELU", out_q=q),
        lambda x: dwconv(x, act="RELU", out_q=q),
        lambda x: conv(x, 24, (1, 1), act="RELU", out_q=q),   # 144 pixels of 16 channels: 3 chunks
        lambda x: conv(x, 24, (1, 1), act="RELU", out_q=q),   # 4 chunks
        lambda x: dwconv(x, (2, 2), act="RELU", out_q=q),
        lambda x: conv(x, 64, (1, 1), act="RELU", out_q=q),
        lambda x: dwconv(x, act="RELU", out_q=q),
        lambda x: conv(x, 64, (1, 1), act="RELU", out_q=q),   # 3 chunks
        lambda x: conv(x, 32, (1, 1), out_q=q),
    ])])


@pytest.fixture(scope="module")
def compiled_model(tmp_path_factory):
    def get(name: str, model: bytes, inplace: bool) -> Path:
        d = tmp_path_factory.mktemp(name)
        (d / "model.tflite").write_bytes(model)
        compile_model(d / "model.tflite", d / "out", CompileOptions(planner="greedy-size", inplace=inplace,
                                                                     board=BOARD))
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
    out = compiled_model("coverage", chains_model(coverage_chains()), inplace=False)
    kernels, arm = kernel_sources(out, True)
    assert {"tm_conv2d_s8", "tm_depthwise_conv2d_3x3_s8", "tm_fully_connected_s8"} <= set(arm)
    assert all(str(k).startswith(str(ARM_KERNELS_DIR)) == (k.stem in arm) for k in kernels)
    samples = _random_samples(out, 6, seed=1)
    samples.append([np.full_like(x, -128) for x in samples[0]])  # extreme accumulators
    samples.append([np.full_like(x, 127) for x in samples[0]])
    dsp, fw = _check(out, samples)
    assert fw.info["kernels"]["dsp"] and "tm_conv2d_s8" in fw.info["kernels"]["arm"]
    portable, pfw = _check(out, samples, dsp=False)
    assert pfw.info["kernels"] == {"dsp": False, "arm": []}
    assert pfw.elf.parent.name == "kernels-portable" and pfw.elf != fw.elf, "the portable build has its own folder"
    assert sum(dsp) < sum(portable), "the DSP kernels should execute fewer instructions"


def test_inplace_dsp_kernels_match_the_host(compiled_model):
    out = compiled_model("inplace", inplace_model(), inplace=True)
    report_inplace = json.loads((out / "report.json").read_text())["memory"].get("inplace", [])
    assert len(report_inplace) >= 5, "the compiler no longer runs these layers in place"
    _, arm = kernel_sources(out, True)
    assert {"tm_conv2d_inplace_s8", "tm_depthwise_conv2d_inplace_s8"} <= set(arm)
    _check(out, _random_samples(out, 6, seed=2))


def test_board_without_dsp_uses_the_portable_kernels(compiled):
    out = compiled("mlperf_ad_autoenc_int8")
    with pytest.raises(InputError, match="no DSP extension"):
        build_firmware(out, "rpi-pico", emulate=True, dsp_kernels=True)
    kernels, arm = kernel_sources(out, False)
    assert arm == [] and all(k.parent.name == "kernels" for k in kernels)


def test_dsp_kernels_only_for_a_plan_made_for_them(compiled):
    """A plan made for the host has no scratch for the DSP kernels' buffers: the board's firmware
    then takes the portable kernels and says so; asking for the DSP kernels is an error."""
    out = compiled("mlperf_ad_autoenc_int8")
    with pytest.raises(InputError, match="planned for the portable kernels.*--board nucleo-l4r5zi"):
        build_firmware(out, BOARD, emulate=True, dsp_kernels=True)
    fw = build_firmware(out, BOARD, emulate=True)
    assert not fw.info["kernels"]["dsp"] and "--board nucleo-l4r5zi" in fw.info["kernels"]["note"]


def test_plans_for_dsp_boards_give_the_dsp_kernels_their_scratch(compiled):
    """The same model planned for the host and for a DSP board: the host plan is the portable
    kernels' (no DSP scratch), the board's plan has scratch at least as large for every op, more
    for the convolutions, and records the kernel set."""
    host, board = (json.loads((compiled("mlperf_kws_dscnn_int8", b) / "report.json").read_text())
                   for b in ("host", BOARD))
    assert host["kernels"] == "portable" and board["kernels"] == "dsp"
    hs = {o["name"]: o["scratch_bytes"] for o in host["ops"]}
    bs = {o["name"]: o["scratch_bytes"] for o in board["ops"]}
    assert all(bs[k] >= hs[k] for k in hs.keys() & bs.keys())
    assert sum(bs.values()) > sum(hs.values())
