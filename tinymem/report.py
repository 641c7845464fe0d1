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


def output_info(g: Graph, name: str, producers: dict) -> dict:
    """Output descriptor; a float output made by `dequantize` may differ from a float reference
    by one quantization step of its input (the QDQ contract)."""
    info = tensor_info(g.tensor(name))
    producer = producers.get(name)
    if producer is not None and producer.op == "dequantize" and g.tensor(producer.inputs[0]).quant is not None:
        info["tolerance"] = float(g.tensor(producer.inputs[0]).scale)
    return info


def build_report(g: Graph, plan: MemoryPlan, model: dict, board: str, command: str,
                 weights_bytes: int, tables_bytes: int) -> dict:
    ops = []
    scratch = {b.name: b.nbytes for b in plan.buffers if b.kind == "scratch"}
    for i, node in enumerate(g.nodes):
        op = get_op(node.op)
        entry = {
            "index": i, "type": node.op, "name": node.name, "macs": int(op.macs(node, g)),
            "output_shape": list(g.tensor(node.outputs[0]).shape),
            "weight_bytes": sum(g.tensor(n).nbytes for n in node.inputs if n and g.tensor(n).is_const),
            "scratch_bytes": int(scratch.get(f"scratch:{node.name}", 0)),
        }
        if node.name in plan.inplace:
            entry["inplace_of"] = plan.inplace[node.name].input
        if node.name in plan.elided:
            entry["view"] = True
        ops.append(entry)
    producers = g.producers()
    buffers = []
    for b in plan.buffers:
        info = {"name": b.name, "kind": b.kind, "bytes": b.nbytes, "first": b.first, "last": b.last,
                "region": b.region, "offset": plan.offsets[b.name], "tensors": b.tensors}
        if b.offsets:
            info["tensor_offsets"] = dict(b.offsets)
        if b.group is not None:
            info["group"] = b.group
            if b.late_start:
                info["late_start"] = True
            if b.early_end:
                info["early_end"] = True
        buffers.append(info)
    schedule = plan.schedule
    inplace = [{"node": d.node, "input": d.input, "output": d.output, "scratch_bytes": d.scratch_bytes,
                "saved_bytes": d.saved_bytes} for d in plan.inplace.values()]
    io_bytes = sum(b.nbytes for b in plan.buffers if b.region != "arena")
    return {
        "schema": SCHEMA,
        "tinymem_version": __version__,
        "command": command,
        "board": board,
        "kernels": g.kernels,
        "model": model,
        "macs": sum(o["macs"] for o in ops),
        "flash": {"weights_bytes": weights_bytes, "tables_bytes": tables_bytes,
                  "total_bytes": weights_bytes + tables_bytes},
        "ram": {"arena_bytes": plan.arena_bytes, "state_bytes": plan.state_bytes,
                "persistent_bytes": plan.state_bytes, "total_bytes": plan.arena_bytes + plan.state_bytes,
                "lower_bound_bytes": plan.lower_bound_bytes, "peak_step": plan.peak_step,
                "baseline_bound_bytes": plan.baseline_bound_bytes or plan.lower_bound_bytes,
                "io_external_bytes": io_bytes},
        "inputs": [tensor_info(g.tensor(n)) for n in g.inputs],
        "outputs": [output_info(g, n, producers) for n in g.outputs],
        "state": [{**tensor_info(g.tensor(n)), "offset": off} for n, off in plan.state_offsets.items()],
        "ops": ops,
        "memory": {"alignment": plan.alignment, "planner": plan.planner, "optimal": plan.optimal,
                   "io": "external" if io_bytes or (schedule is not None and schedule.io_external) else "arena",
                   "reordered": bool(schedule is not None and schedule.reordered),
                   "order_exact": bool(schedule is None or schedule.order_exact),
                   "inplace": inplace, "views": sorted(plan.elided), "buffers": buffers},
    }
