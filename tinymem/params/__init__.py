"""Updatable parameters (`--updatable`): layers whose weights and biases live in RAM.

  make_updatable(graph, layers)     compile-time pass (tinymem/params/updatable.py)
  pack_params(report, {layer: ...}) host side: a params blob for `<prefix>_params_load` / PARAMS_WRITE
  unpack_params(report, blob)       the inverse, {layer: {"weights": ..., "bias": ...}}
See docs/params.md.
"""

from tinymem.params.pack import pack_params, unpack_params
from tinymem.params.updatable import make_updatable, match_layer

__all__ = ["make_updatable", "match_layer", "pack_params", "unpack_params"]
