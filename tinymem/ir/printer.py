"""Human-readable dump of a graph (for debugging and `tinymem inspect --ir`)."""

from tinymem.ir.graph import Graph, Tensor


def _tensor(t: Tensor) -> str:
    q = f" [{t.quant.describe()}]" if t.quant is not None else ""
    kind = "const " if t.is_const else ""
    return f"{kind}{t.name}: {t.dtype}{list(t.shape)}{q}"


def format_graph(g: Graph) -> str:
    lines = [f"graph {g.name}"]
    lines += [f"  input  {_tensor(g.tensor(n))}" for n in g.inputs]
    for node in g.nodes:
        args = ", ".join(n or "-" for n in node.inputs)
        attrs = ", ".join(f"{k}={v}" for k, v in sorted(node.attrs.items()))
        lines.append(f"  {', '.join(node.outputs)} = {node.op}({args}) {{{attrs}}}  # {node.name}")
    lines += [f"  output {_tensor(g.tensor(n))}" for n in g.outputs]
    return "\n".join(lines)
