"""`make_state`: model inputs fed back from model outputs become persistent state.

Streaming models exported to ONNX carry their memory through the graph interface: an input
(silero-vad's `h`, `c`) takes what an output (`hn`, `cn`) gave on the previous call. A state pair
IN=OUT turns IN into a persistent tensor (the state region: never reused, zero at init() and
after reset_state(), saved / restored by state_save / state_load) that is no longer a model
input, and appends an `assign_variable` node copying OUT into it after everything else has run
(nodes touching a persistent tensor keep their order, so every reader of IN sees the previous
call's value). OUT stays a model output. `run` then takes only the other inputs and the state
advances in place from call to call.

Pairs come from `--state IN=OUT` (repeatable) or, when none is given, are detected for ONNX
models: an input and an output of the same shape, dtype and quantization whose names pair up as
  IN / IN + n|N|_n|_next|_new|_out|out      h / hn, c / cn, state / stateN, state / state_out
  X_in / X_out, Xin / Xout                  state_in / state_out
  Xk / X(k+1)                               h0 / h1, state0 / state1
  past_X / present_X, prev_X / next_X
An input or output in more than one candidate pair is left alone. `--state none` turns the
detection off.
"""

from __future__ import annotations

import re

from tinymem.errors import InputError
from tinymem.ir import Graph, Node

SUFFIXES = ("n", "N", "_n", "_N", "_next", "_new", "_out", "out", "Out", "_Out")
PREFIXES = (("past_", "present_"), ("prev_", "next_"))


def names_pair(a: str, b: str) -> bool:
    """True when input name `a` and output name `b` look like a state pair."""
    if any(b == a + s for s in SUFFIXES):
        return True
    for s_in, s_out in (("_in", "_out"), ("in", "out"), ("_In", "_Out"), ("In", "Out")):
        if a.endswith(s_in) and len(a) > len(s_in) and b == a[:-len(s_in)] + s_out:
            return True
    m = re.fullmatch(r"(.*?)(\d+)", a)
    if m and m.group(1) and b == f"{m.group(1)}{int(m.group(2)) + 1}":
        return True
    return any(a.startswith(p) and b == q + a[len(p):] for p, q in PREFIXES)


def _compatible(g: Graph, a: str, b: str) -> bool:
    x, y = g.tensor(a), g.tensor(b)
    same_quant = (x.quant is None) == (y.quant is None) and (
        x.quant is None or (x.quant.scale.tolist() == y.quant.scale.tolist()
                            and x.quant.zero_point.tolist() == y.quant.zero_point.tolist()))
    return x.shape == y.shape and x.dtype == y.dtype and same_quant


def detect_state_pairs(g: Graph) -> dict[str, str]:
    """{input: output} pairs found by name, shape and dtype (see the module docstring)."""
    candidates = [(i, o) for i in g.inputs for o in g.outputs
                  if i != o and names_pair(i, o) and _compatible(g, i, o)]
    ins = [i for i, _ in candidates]
    outs = [o for _, o in candidates]
    return {i: o for i, o in candidates if ins.count(i) == 1 and outs.count(o) == 1}


def make_state(g: Graph, pairs: dict[str, str] | None, auto: bool = True) -> dict[str, str]:
    """Turn each pair IN=OUT of `pairs` (None: detected when `auto`) into persistent state, in
    place; returns the pairs applied."""
    if pairs is None:
        pairs = detect_state_pairs(g) if auto else {}
    used_outputs: set[str] = set()
    for s_in, s_out in pairs.items():
        if s_in not in g.inputs:
            raise InputError(f"--state {s_in}={s_out}: the model has no input {s_in!r} "
                             f"(inputs: {', '.join(g.inputs) or 'none'})")
        if s_out not in g.outputs:
            raise InputError(f"--state {s_in}={s_out}: the model has no output {s_out!r} "
                             f"(outputs: {', '.join(g.outputs)})")
        if s_out in used_outputs:
            raise InputError(f"--state {s_in}={s_out}: output {s_out!r} already feeds another state input")
        used_outputs.add(s_out)
        x, y = g.tensor(s_in), g.tensor(s_out)
        if not _compatible(g, s_in, s_out):
            raise InputError(f"--state {s_in}={s_out}: input {x.dtype}{list(x.shape)} and output "
                             f"{y.dtype}{list(y.shape)} differ in shape, dtype or quantization")
    for s_in, s_out in pairs.items():
        t = g.tensor(s_in)
        t.persistent, t.init = True, None  # zero (the zero point for quantized state)
        g.inputs.remove(s_in)
        name, k = f"{s_in}_state_update", 1
        while any(n.name == name for n in g.nodes):
            name, k = f"{s_in}_state_update_{k}", k + 1
        g.nodes.append(Node("assign_variable", name, [s_out], [s_in]))
    return dict(pairs)
