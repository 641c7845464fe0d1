"""ONNX conformance: the ONNX project's own node test cases for every operator tinymem imports.

Each selected case (tests/conformance/onnx_cases.py) is compiled with tinymem, run on the host
simulator and compared with the case's expected outputs: float within 1e-4 absolute + 1e-5
relative (DESIGN "Numerics"), integers and booleans exactly, shapes exactly. A case either passes
or is listed in LISTED with the reason (docs/conformance.md groups them); a listed case that
starts passing fails the run so that the list stays true. The cases are compiled two at a time
(threads: the C compiler does the work) with -O0 and each kernel compiled once
(tests/conformance/host_build.py), and the totals are printed at the end of the
session ("ONNX conformance: N passed, M listed").
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.conformance import host_build, onnx_cases
from tinymem.compile import CompileOptions, compile_model
from tinymem.errors import TinymemError
from tinymem.ops import supported

RESULTS: dict[str, tuple[str, str]] = {}  # case -> (outcome, detail), for the session summary

_DTYPE = "element type without a tinymem kernel (plain int8/int16/uint arithmetic without quantization, uint16/32/64, float16, float8, int4/int2/uint4/uint2/float4)"
_CEILPAD = "AveragePool count_include_pad=1 with ceil_mode=1 (padded zeros of the extra window)"
_POOL_DIL = "pooling with dilations (the pool kernels have none)"
_RANK5 = "3-D (volumetric) pooling: only 1-D and 2-D windows"
_BN_TRAIN = "BatchNormalization in training mode (running statistics outputs)"
_CAST = "Cast/CastLike of a run-time tensor (only compile-time casts are folded)"
_PERAXIS = "per-axis or blocked quantization of a run-time tensor (only constants may be per-axis)"
_DROPOUT = "Dropout in training mode or with its mask output (inference only)"
_SEQ = "sequence / optional types"
_BATCHED = "MatMul with a batched (rank > 2) B: fully_connected needs a 2-D weight matrix"
_INDICES = "MaxPool Indices output"
_EMPTY = "empty (zero-size) tensors"
_POW_INT = "Pow with an integer base or a run-time integer exponent (float32 base; the exponent float32 or a constant)"

#: case name -> why tinymem does not pass it (see docs/conformance.md)
LISTED: dict[str, str] = {
    "test_add_int16": _DTYPE,
    "test_add_int8": _DTYPE,
    "test_add_uint16": _DTYPE,
    "test_add_uint32": _DTYPE,
    "test_add_uint64": _DTYPE,
    "test_add_uint8": _DTYPE,
    "test_causal_conv_with_state_fp16_expanded": _DTYPE,
    "test_clip_default_int8_inbounds": _DTYPE,
    "test_clip_default_int8_max": _DTYPE,
    "test_clip_default_int8_min": _DTYPE,
    "test_dequantizelinear_e4m3fn": _DTYPE,
    "test_dequantizelinear_e4m3fn_float16": _DTYPE,
    "test_dequantizelinear_e4m3fn_zero_point": _DTYPE,
    "test_dequantizelinear_e5m2": _DTYPE,
    "test_dequantizelinear_float4e2m1": _DTYPE,
    "test_dequantizelinear_int2": _DTYPE,
    "test_dequantizelinear_int4": _DTYPE,
    "test_dequantizelinear_uint16": _DTYPE,
    "test_dequantizelinear_uint2": _DTYPE,
    "test_dequantizelinear_uint4": _DTYPE,
    "test_maxpool_2d_uint8": _DTYPE,
    "test_mul_int16": _DTYPE,
    "test_mul_int8": _DTYPE,
    "test_mul_uint16": _DTYPE,
    "test_mul_uint32": _DTYPE,
    "test_mul_uint64": _DTYPE,
    "test_mul_uint8": _DTYPE,
    "test_quantizelinear_e4m3fn": _DTYPE,
    "test_quantizelinear_e5m2": _DTYPE,
    "test_quantizelinear_uint16": _DTYPE,
    "test_sub_int16": _DTYPE,
    "test_sub_int8": _DTYPE,
    "test_sub_uint16": _DTYPE,
    "test_sub_uint32": _DTYPE,
    "test_sub_uint64": _DTYPE,
    "test_sub_uint8": _DTYPE,
    "test_averagepool_2d_ceil_last_window_starts_on_pad": _CEILPAD,
    "test_averagepool_2d_dilations": _POOL_DIL,
    "test_maxpool_2d_dilations": _POOL_DIL,
    "test_averagepool_3d_default": _RANK5,
    "test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_False": _RANK5,
    "test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_True": _RANK5,
    "test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_False": _RANK5,
    "test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True": _RANK5,
    "test_averagepool_3d_dilations_small": _RANK5,
    "test_maxpool_3d_default": _RANK5,
    "test_maxpool_3d_dilations": _RANK5,
    "test_maxpool_3d_dilations_use_ref_impl": _RANK5,
    "test_maxpool_3d_dilations_use_ref_impl_large": _RANK5,
    "test_batchnorm_epsilon_training_mode": _BN_TRAIN,
    "test_batchnorm_example_training_mode": _BN_TRAIN,
    "test_causal_conv_with_state_silu_expanded": _CAST,
    "test_causal_conv_with_state_silu_fp16_expanded": _CAST,
    "test_causal_conv_with_state_silu_with_past_state_expanded": _CAST,
    "test_causal_conv_with_state_swish_alias_expanded": _CAST,
    "test_dequantizelinear_axis": _PERAXIS,
    "test_dequantizelinear_blocked": _PERAXIS,
    "test_quantizelinear_axis": _PERAXIS,
    "test_quantizelinear_blocked_asymmetric": _PERAXIS,
    "test_quantizelinear_blocked_symmetric": _PERAXIS,
    "test_quantizelinear_float4e2m1": _PERAXIS,
    "test_quantizelinear_int2": _PERAXIS,
    "test_quantizelinear_int4": _PERAXIS,
    "test_quantizelinear_uint2": _PERAXIS,
    "test_quantizelinear_uint4": _PERAXIS,
    "test_dropout_default_mask": _DROPOUT,
    "test_dropout_default_mask_ratio": _DROPOUT,
    "test_training_dropout": _DROPOUT,
    "test_training_dropout_default": _DROPOUT,
    "test_training_dropout_default_mask": _DROPOUT,
    "test_training_dropout_mask": _DROPOUT,
    "test_training_dropout_zero_ratio": _DROPOUT,
    "test_training_dropout_zero_ratio_mask": _DROPOUT,
    "test_identity_opt": _SEQ,
    "test_identity_sequence": _SEQ,
    "test_matmul_1d_3d": _BATCHED,
    "test_matmul_3d": _BATCHED,
    "test_matmul_4d": _BATCHED,
    "test_matmul_bcast": _BATCHED,
    "test_maxpool_with_argmax_2d_precomputed_pads": _INDICES,
    "test_maxpool_with_argmax_2d_precomputed_strides": _INDICES,
    "test_pow_types_float32_int32": _POW_INT,
    "test_pow_types_float32_int64": _POW_INT,
    "test_pow_types_float32_uint32": _POW_INT,
    "test_pow_types_float32_uint64": _POW_INT,
    "test_pow_types_int32_float32": _POW_INT,
    "test_pow_types_int32_int32": _POW_INT,
    "test_pow_types_int64_float32": _POW_INT,
    "test_pow_types_int64_int64": _POW_INT,
    "test_reshape_allowzero_reordered": _EMPTY,
    "test_split_zero_size_splits_opset13": _EMPTY,
    "test_split_zero_size_splits_opset18": _EMPTY,
}


def _reason(name: str) -> str | None:
    return LISTED.get(name)


CASES = onnx_cases.selected(set(supported("onnx")))


def _compare(got: np.ndarray, want: np.ndarray) -> str | None:
    if tuple(got.shape) != tuple(want.shape):
        return f"shape {list(got.shape)} != expected {list(want.shape)}"
    if want.dtype.kind in "iub":
        bad = np.flatnonzero(got.astype(np.int64) != want.astype(np.int64))
        if bad.size:
            return f"{bad.size} elements differ (first at {bad[0]}: {got.flat[bad[0]]} != {want.flat[bad[0]]})"
        return None
    g, w = got.astype(np.float64), want.astype(np.float64)
    ok = np.isclose(g, w, rtol=1e-5, atol=1e-4, equal_nan=True)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        return f"{int((~ok).sum())} elements differ (max |diff| {np.nanmax(np.abs(g - w)):.3g}, first at {i})"
    return None


def run_case(name: str, tmp: Path, cache: host_build.KernelCache | None = None) -> tuple[str, str]:
    case = onnx_cases.all_cases()[name]
    try:
        model, runtime, feeds, want = onnx_cases.bake(case)
    except Exception as e:  # noqa: BLE001 - e.g. float8 data numpy cannot hold
        return "error", f"case data: {type(e).__name__}: {e}"
    work = tmp / name
    work.mkdir()
    path = work / "model.onnx"
    onnx.save(model, str(path))
    try:
        # state={}: a case is one call with its state inputs given (no past_x/present_x feedback)
        compile_model(path, work / "out", CompileOptions(name="case", state={}))
        cache = cache or host_build.KernelCache(tmp / "kernels")
        got = host_build.run(work / "out", [feeds[n] for n in runtime], cache)
    except TinymemError as e:
        return "error", f"{type(e).__name__}: {str(e).splitlines()[0]}"
    except Exception as e:  # noqa: BLE001 - a crash is reported as the case's outcome
        return "crash", f"{type(e).__name__}: {e}"
    if len(got) != len(want):
        return "fail", f"{len(got)} outputs, {len(want)} expected"
    for i, (g, w) in enumerate(zip(got, want)):
        why = _compare(np.asarray(g), np.asarray(w))
        if why:
            return "fail", f"output {i}: {why}"
    return "pass", ""


@pytest.fixture(scope="module")
def results(request):
    """Outcomes of the cases this session runs (all of them, or those selected with -k)."""
    names = [item.callspec.params["name"] for item in request.session.items
             if getattr(item, "originalname", "") == "test_onnx_node_case"]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        cache = host_build.KernelCache(Path(tmp) / "kernels")
        futures = {n: pool.submit(run_case, n, Path(tmp), cache) for n in names}
        yield {n: f.result() for n, f in futures.items()}


@pytest.mark.parametrize("name", CASES)
def test_onnx_node_case(name, results):
    outcome, detail = results[name]
    listed = _reason(name)
    if outcome == "pass":
        RESULTS[name] = ("passed", "")
        assert listed is None, f"{name} passes now: remove it from LISTED ({listed})"
        return
    if listed is not None:
        RESULTS[name] = ("listed", listed)
        pytest.xfail(f"{listed} [{outcome}: {detail}]")
    RESULTS[name] = ("failed", detail)
    pytest.fail(f"{name}: {outcome}: {detail}")
