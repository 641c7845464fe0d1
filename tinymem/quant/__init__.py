"""Quantization arithmetic: TFLM fixed-point math and compile-time multipliers."""
