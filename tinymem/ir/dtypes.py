"""Element types of IR tensors, with their numpy and C spellings."""

import numpy as np

# name -> (numpy dtype, C type)
DTYPES = {
    "f32": (np.float32, "float"),
    "f16": (np.float16, "uint16_t"),
    "s8": (np.int8, "int8_t"),
    "u8": (np.uint8, "uint8_t"),
    "s16": (np.int16, "int16_t"),
    "s32": (np.int32, "int32_t"),
    "s64": (np.int64, "int64_t"),
    "bool": (np.bool_, "uint8_t"),
}

_FROM_NUMPY = {np.dtype(v[0]): k for k, v in DTYPES.items()}


def np_dtype(dtype: str) -> np.dtype:
    return np.dtype(DTYPES[dtype][0])


def c_type(dtype: str) -> str:
    return DTYPES[dtype][1]


def from_numpy(dtype) -> str:
    return _FROM_NUMPY[np.dtype(dtype)]


def itemsize(dtype: str) -> int:
    return np_dtype(dtype).itemsize
