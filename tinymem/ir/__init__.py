"""The intermediate representation: a static-shape dataflow graph in NHWC layout."""

from tinymem.ir.graph import Graph, Node, QuantParams, Tensor
from tinymem.ir.dtypes import DTYPES, np_dtype, c_type
from tinymem.ir.verify import verify
from tinymem.ir.printer import format_graph

__all__ = ["Graph", "Node", "QuantParams", "Tensor", "DTYPES", "np_dtype", "c_type", "verify", "format_graph"]
