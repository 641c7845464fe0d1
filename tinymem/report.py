"""`build_report`: the report.json document (schema in docs/report.md), the single source of the
figures the CLI prints."""

from __future__ import annotations

from tinymem import __version__
from tinymem.ir import Graph, Tensor
from tinymem.memory import MemoryPlan
from tinymem.ops import get_op

SCHEMA = "tinymem.report/1"


def tensor_info(t: Tensor) -> dict:
    info = {"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "bytes": t.nbytes}
    if t.quant is not None:
        info["scale"] = float(t.scale)
        info["zero_point"] = int(t.zero_point)
    return info


def build_report(g: Graph, plan: MemoryPlan, model: dict, board: str, command: str,
                 weights_bytes: int, tables_bytes: int) -> dict:
    ops = []
    for i, node in enumerate(g.nodes):
        op = get_op(node.op)
        ops.append({
            "index": i, "type": node.op, "name": node.name, "macs": int(op.macs(node, g)),
            "output_shape": list(g.tensor(node.outputs[0]).shape),
            "weight_bytes": sum(g.tensor(n).nbytes for n in node.inputs if n and g.tensor(n).is_const),
            "scratch_bytes": int(op.scratch_bytes(node, g)),
        })
    buffers = [{"name": b.name, "kind": b.kind, "bytes": b.nbytes, "first": b.first, "last": b.last,
                "region": "arena", "offset": plan.offsets[b.name], "tensors": b.tensors}
               for b in plan.buffers]
    return {
        "schema": SCHEMA,
        "tinymem_version": __version__,
        "command": command,
        "board": board,
        "model": model,
        "macs": sum(o["macs"] for o in ops),
        "flash": {"weights_bytes": weights_bytes, "tables_bytes": tables_bytes,
                  "total_bytes": weights_bytes + tables_bytes},
        "ram": {"arena_bytes": plan.arena_bytes, "state_bytes": plan.state_bytes,
                "persistent_bytes": plan.state_bytes, "total_bytes": plan.arena_bytes + plan.state_bytes,
                "lower_bound_bytes": plan.lower_bound_bytes, "peak_step": plan.peak_step},
        "inputs": [tensor_info(g.tensor(n)) for n in g.inputs],
        "outputs": [tensor_info(g.tensor(n)) for n in g.outputs],
        "state": [{**tensor_info(g.tensor(n)), "offset": off} for n, off in plan.state_offsets.items()],
        "ops": ops,
        "memory": {"alignment": plan.alignment, "planner": plan.planner, "optimal": plan.optimal,
                   "buffers": buffers},
    }
