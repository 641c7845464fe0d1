"""`fold_batchnorm`: fold per-channel scale/shift (BatchNormalization, imported as mul + add with
constants along the channel axis) into the preceding float conv2d / depthwise_conv2d /
fully_connected: w' = w * s along the output channels, b' = b * s + t.

Also folds a lone constant per-channel add (a bias added after a conv without one). Only float
producers with no fused activation, whose output has no other reader, are folded; the mul/add's
own activation moves onto the producer.
"""

from __future__ import annotations

import numpy as np

from tinymem.ir import Graph

#: op -> axis of the output channels in its weights
WEIGHT_AXIS = {"conv2d": 0, "depthwise_conv2d": 3, "fully_connected": 0}


def _per_channel(value: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray | None:
    """The constant as a [C] vector when it only varies along the last axis of out_shape."""
    c = out_shape[-1] if out_shape else 1
    try:
        if tuple(np.broadcast_shapes(value.shape, out_shape)) != tuple(out_shape):
            return None
    except ValueError:
        return None
    if value.ndim and any(d != 1 for d in value.shape[:-1]):
        return None
    return np.broadcast_to(value.reshape(-1), (c,)).astype(np.float64)


def _folded(name: str) -> str:
    return name if name.endswith("_folded") else f"{name}_folded"


def _fold_one(g: Graph) -> bool:
    prod, cons = g.producers(), g.consumers()
    for node in g.nodes:
        if node.op not in ("mul", "add") or len(node.inputs) != 2:
            continue
        consts = [i for i, n in enumerate(node.inputs) if g.tensor(n).is_const]
        if len(consts) != 1:
            continue
        k = consts[0]
        x = node.inputs[1 - k]
        p = prod.get(x)
        if p is None or p.op not in WEIGHT_AXIS or p.attrs.get("act", "none") != "none":
            continue
        if x in g.outputs or len(cons.get(x, [])) != 1 or g.tensor(x).dtype != "f32":
            continue
        w = g.tensor(p.inputs[1])
        bias = p.input(2)
        if not w.is_const or w.dtype != "f32" or (bias and not g.tensor(bias).is_const):
            continue
        out_shape = g.tensor(x).shape
        if g.tensor(node.outputs[0]).shape != out_shape:
            continue
        vec = _per_channel(g.tensor(node.inputs[k]).data, out_shape)
        if vec is None:
            continue
        axis = WEIGHT_AXIS[p.op]
        channels = w.shape[axis]
        if vec.size != channels:
            continue
        b = g.tensor(bias).data.astype(np.float64) if bias else None
        wd = w.data.astype(np.float64)
        if node.op == "mul":
            shape = [1] * wd.ndim
            shape[axis] = channels
            wd = wd * vec.reshape(shape)
            b = None if b is None else b * vec
        else:
            b = vec.copy() if b is None else b + vec
        ins = [p.inputs[0], g.add_const(_folded(p.inputs[1]), wd.astype(np.float32))]
        if b is not None:
            ins.append(g.add_const(_folded(bias or p.name + "_bias"), b.astype(np.float32)))
        p.inputs = ins
        p.attrs["act"] = node.attrs.get("act", "none")
        p.outputs = list(node.outputs)
        g.nodes.remove(node)
        g.prune()
        return True
    return False


def fold_batchnorm(g: Graph) -> Graph:
    while _fold_one(g):
        pass
    return g
