"""tinymem: memory-first tiny-ML deployment toolchain."""

__version__ = "0.1.0"
