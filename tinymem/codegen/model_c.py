"""`emit_model`: the text of model.h, model.c, weights.h and weights.c for a planned graph."""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.codegen.cnames import c_array_body, c_float
from tinymem.codegen.emitter import Emitter
import numpy as np

from tinymem.ir import Graph, Tensor, c_type, np_dtype
from tinymem.memory import MemoryPlan
from tinymem.ops import get_op

DTYPE_ENUM = {"f32": "TM_F32", "s8": "TM_S8", "u8": "TM_U8", "s16": "TM_S16", "s32": "TM_S32",
              "s64": "TM_S64", "bool": "TM_BOOL", "f16": "TM_F16"}


@dataclass
class ModelSources:
    files: dict[str, str]  # relative path -> text
    kernels: set[str]
    weights_bytes: int
    tables_bytes: int


DSP_SCRATCH = """
/* Planned for the Cortex-M DSP kernels (runtime_c/kernels_arm): with them (tinymem build defines
 * TM_KERNELS_DSP) every kernel needs exactly its planned scratch, the portable ones at most that. */
#ifdef TM_KERNELS_DSP
#define TM_SCRATCH_BAD(need, planned) ((need) != (planned))
#else
#define TM_SCRATCH_BAD(need, planned) ((need) > (planned))
#endif
"""


def _desc(t: Tensor) -> str:
    dims = list(t.shape) + [1] * (6 - len(t.shape))
    scale = c_float(t.scale) if t.quant is not None else "0.0f"
    zp = t.zero_point if t.quant is not None else 0
    return (f'    {{"{t.name}", {len(t.shape)}, {{{", ".join(map(str, dims))}}}, {DTYPE_ENUM[t.dtype]}, '
            f"{scale}, {zp}, {t.nbytes}u}},")


def _reset_line(em: Emitter, t: Tensor, offset: int) -> str:
    """C statement putting persistent tensor t at `offset` of tm_state back to its initial value."""
    fill = t.zero_point if t.quant is not None else 0
    if t.init is None and fill == 0:
        return f"    memset(tm_state + {offset}u, 0, {t.nbytes}u); /* {t.name} */\n"
    if t.init is None and t.dtype in ("s8", "u8"):
        return f"    memset(tm_state + {offset}u, {fill & 0xFF}, {t.nbytes}u); /* {t.name} */\n"
    init = t.init if t.init is not None else np.full(t.shape, fill, dtype=np_dtype(t.dtype))
    table = em.table(f"{t.name}_init", np.asarray(init, dtype=np_dtype(t.dtype)).reshape(t.shape))
    return f"    memcpy(tm_state + {offset}u, {table}, {t.nbytes}u); /* {t.name} */\n"


def emit_model(g: Graph, plan: MemoryPlan, prefix: str, provenance: str, sha256: str = "",
               extensions=()) -> ModelSources:
    """extensions: tinymem.codegen.extension.Extension objects (updatable params, memory head)."""
    em = Emitter(g, plan)
    for ext in extensions:
        ext.prepare(em)
    body = []
    for i, node in enumerate(g.nodes):
        em.node_index = i
        if node.name in plan.elided:  # a zero-copy view: the producers wrote the bytes in place
            stmt = "/* view: no code (its parts are slices of one buffer) */"
        else:
            stmt = get_op(node.op).emit(node, g, em)
        outs = ", ".join(node.outputs).replace("*/", "* /")
        if em.inplace(node) is not None:
            outs += f" (in place over {em.inplace(node).input})".replace("*/", "* /")
        body.append(f"    /* {i}: {node.op} {node.name} -> {outs} */")
        body.extend(f"    {line}" for line in (stmt or "/* alias: no code */").splitlines() if line)
    P = prefix.upper()
    ext_header = "".join(ext.header(prefix) for ext in extensions)
    ext_state = "".join(ext.state_c(em, prefix) for ext in extensions)
    ext_funcs = "".join(ext.functions_c(em, prefix) for ext in extensions)
    ext_init = "".join(ext.init_c(prefix) for ext in extensions)
    kept = set().union(*(ext.keep_on_reset for ext in extensions))
    model_params = next((ext.model_params(prefix) for ext in extensions if ext.model_params(prefix)),
                        ("NULL", "0u", "NULL"))
    ins = [g.tensor(n) for n in g.inputs]
    outs = [g.tensor(n) for n in g.outputs]
    external = any(plan.location(t.name)[0].startswith(("input:", "output:")) for t in ins + outs if not t.is_const)
    streamed = {t.name for t in ins if plan.location(t.name)[0].startswith("stream:")}
    for t in ins + outs:
        if t.is_const:
            raise NotImplementedError(f"graph input/output {t.name!r} is a constant")
        if not external and t.name not in streamed:
            em.offset_macro(t.name)

    if external:
        io_api = f"""/* --io external: the application owns the input and output buffers. Give them before
 * run() (each at least the descriptor's bytes, aligned to {P}_ARENA_ALIGN bytes, inputs
 * {P}_NUM_INPUTS, outputs {P}_NUM_OUTPUTS); they stay in use until the next set_io. Inputs are
 * only read; run() fails with TM_ERR_PARAM until set_io was called with no NULL pointer. */
#define {P}_IO_EXTERNAL 1
tm_status {prefix}_set_io(const void *const *inputs, void *const *outputs);
/* set_io(inputs, outputs), then run(). */
tm_status {prefix}_run_io(const void *const *inputs, void *const *outputs);
/* The buffers last given to set_io (NULL before). */
void *{prefix}_input_ptr(int32_t i);
const void *{prefix}_output_ptr(int32_t i);
"""
        io_state = f"""/* --io external: the application's input and output buffers (set_io). */
static void *tm_io_inputs[{P}_NUM_INPUTS > 0 ? {P}_NUM_INPUTS : 1];
static void *tm_io_outputs[{P}_NUM_OUTPUTS > 0 ? {P}_NUM_OUTPUTS : 1];

"""
        io_check = "".join(f"    if (tm_io_{kind}s[{i}] == NULL)\n        return TM_ERR_PARAM;\n"
                           for kind, n in (("input", len(ins)), ("output", len(outs))) for i in range(n))
    else:
        io_api = f"""/* Where to write input i / read output i (inside the static arena). */
void *{prefix}_input_ptr(int32_t i);
const void *{prefix}_output_ptr(int32_t i);
"""
        io_state = io_check = ""
    if streamed:  # --stream-input (docs/patch.md)
        which = ", ".join(str(i) for i, t in enumerate(ins) if t.name in streamed)
        io_api += f"""
/* --stream-input: run() fetches input {which} window by window through `fetch` (see
 * tinymem/patch_stage.h for its contract); input_ptr() gives NULL for it. Call before run(). */
#define {P}_STREAM_INPUT 1
tm_status {prefix}_set_input_source(tm_fetch_fn fetch, void *ctx);
"""
        io_state += """/* --stream-input: the application's input source. */
static tm_fetch_fn tm_fetch;
static void *tm_fetch_ctx;

"""
        io_check += "    if (tm_fetch == NULL)\n        return TM_ERR_PARAM;\n"

    header = f"""{provenance}
#ifndef {P}_MODEL_H
#define {P}_MODEL_H

#include "tinymem/types.h"
{'#include "tinymem/patch_stage.h"' + chr(10) if streamed else ''}
#define {P}_ARENA_BYTES {plan.arena_bytes}u
/* Alignment of the arena and of every buffer in it (the board's, default 16). */
#define {P}_ARENA_ALIGN {plan.alignment}
#define {P}_NUM_INPUTS {len(ins)}
#define {P}_NUM_OUTPUTS {len(outs)}

/* Input and output descriptors, in the model's order. */
extern const tm_tensor_desc {prefix}_inputs[{P}_NUM_INPUTS];
extern const tm_tensor_desc {prefix}_outputs[{P}_NUM_OUTPUTS];

{io_api}
#define {P}_STATE_BYTES {plan.state_bytes}u

/* Prepare the model (call once); also resets the state. */
tm_status {prefix}_init(void);
/* Put the persistent state (kept between runs) back to its initial value. */
tm_status {prefix}_reset_state(void);
/* Copy the state out / in ({P}_STATE_BYTES bytes), e.g. to checkpoint it in flash. */
tm_status {prefix}_state_save(void *dst, uint32_t bytes);
tm_status {prefix}_state_load(const void *src, uint32_t bytes);
/* Run one inference on the current inputs. */
tm_status {prefix}_run(void);
{ext_header}
/* The same model behind the generic tm_model interface. */
extern const tm_model {prefix}_model;

#endif
"""
    io_funcs = ""
    if streamed:
        io_funcs = f"""tm_status {prefix}_set_input_source(tm_fetch_fn fetch, void *ctx)
{{
    tm_fetch = fetch;
    tm_fetch_ctx = ctx;
    return fetch != NULL ? TM_OK : TM_ERR_PARAM;
}}

"""
    if external:
        io_funcs += f"""tm_status {prefix}_set_io(const void *const *inputs, void *const *outputs)
{{
    for (int32_t i = 0; i < {P}_NUM_INPUTS; ++i)
        tm_io_inputs[i] = (void *)inputs[i];
    for (int32_t i = 0; i < {P}_NUM_OUTPUTS; ++i)
        tm_io_outputs[i] = outputs[i];
    return TM_OK;
}}

tm_status {prefix}_run_io(const void *const *inputs, void *const *outputs)
{{
    TM_CHECK({prefix}_set_io(inputs, outputs));
    return {prefix}_run();
}}

"""
    reset_lines = "".join(_reset_line(em, g.tensor(n), off) for n, off in plan.state_offsets.items()
                          if n not in kept)
    init_checks = "".join(f"    if ({c})\n        return TM_ERR_SCRATCH;\n" for c in em.init_checks)
    offsets = "\n".join(f"#define {m} {o}u" for m, o in em.offsets.items())
    if external:
        in_cases = "\n".join(f"    case {i}: return tm_io_inputs[{i}];" for i in range(len(ins)))
        out_cases = "\n".join(f"    case {i}: return tm_io_outputs[{i}];" for i in range(len(outs)))
    else:
        in_cases = "\n".join(f"    case {i}: return NULL; /* streamed */" if t.name in streamed else
                             f"    case {i}: return tm_arena + {em.offset_macro(t.name)};" for i, t in enumerate(ins))
        out_cases = "\n".join(f"    case {i}: return tm_arena + {em.offset_macro(t.name)};" for i, t in enumerate(outs))
    headers = sorted({f'#include "tinymem/{h}.h"' for h in em.headers}
                     | {f'#include "tinymem/{get_op(n.op).header or get_op(n.op).name}.h"'
                        for n in g.nodes if not get_op(n.op).alias})
    model_c = f"""{provenance}
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "model.h"
#include "weights.h"
{chr(10).join(headers)}

#define TM_CHECK(call) do {{ tm_status s_ = (call); if (s_ != TM_OK) return s_; }} while (0)
{DSP_SCRATCH if g.kernels == "dsp" else ""}
/* The arena: every activation, input, output and scratch buffer, at planned offsets. */
static uint8_t tm_arena[{P}_ARENA_BYTES > 0 ? {P}_ARENA_BYTES : 1] __attribute__((aligned({P}_ARENA_ALIGN), unused));

{io_state}/* Persistent state: survives between runs, never shared with other buffers. */
static uint8_t tm_state[{P}_STATE_BYTES > 0 ? {P}_STATE_BYTES : 1] __attribute__((aligned(TM_ALIGN)));

{ext_state}/* Buffer offsets in the arena. */
{offsets}

const tm_tensor_desc {prefix}_inputs[{P}_NUM_INPUTS] = {{
{chr(10).join(_desc(t) for t in ins)}
}};
const tm_tensor_desc {prefix}_outputs[{P}_NUM_OUTPUTS] = {{
{chr(10).join(_desc(t) for t in outs)}
}};

/* Per-layer parameters. */
{chr(10).join(em.param_decls)}

void *{prefix}_input_ptr(int32_t i)
{{
    switch (i) {{
{in_cases}
    default: return NULL;
    }}
}}

const void *{prefix}_output_ptr(int32_t i)
{{
    switch (i) {{
{out_cases}
    default: return NULL;
    }}
}}

{io_funcs}tm_status {prefix}_reset_state(void)
{{
{reset_lines}    return TM_OK;
}}

tm_status {prefix}_state_save(void *dst, uint32_t bytes)
{{
    if (bytes != {P}_STATE_BYTES)
        return TM_ERR_PARAM;
    memcpy(dst, tm_state, {P}_STATE_BYTES);
    return TM_OK;
}}

tm_status {prefix}_state_load(const void *src, uint32_t bytes)
{{
    if (bytes != {P}_STATE_BYTES)
        return TM_ERR_PARAM;
    memcpy(tm_state, src, {P}_STATE_BYTES);
    return TM_OK;
}}

{ext_funcs}tm_status {prefix}_init(void)
{{
{init_checks}{ext_init}    return {prefix}_reset_state();
}}

tm_status {prefix}_run(void)
{{
{io_check}{chr(10).join(body)}
    return TM_OK;
}}

const tm_model {prefix}_model = {{
    "{g.name}", "{sha256}", {P}_NUM_INPUTS, {P}_NUM_OUTPUTS, {prefix}_inputs, {prefix}_outputs,
    {prefix}_input_ptr, {prefix}_output_ptr, {prefix}_init, {prefix}_run, {prefix}_reset_state,
    {P}_ARENA_BYTES, {P}_STATE_BYTES, {model_params[0]}, {model_params[1]}, {model_params[2]},
    {f"{prefix}_set_input_source" if streamed else "NULL"},
}};
"""
    decls, defs = [], []
    weights_bytes = tables_bytes = 0
    for ident, ctype, data, hint, is_weight in em.weights:
        decls.append(f"extern const {ctype} {ident}[{data.size}];")
        defs.append(f"/* {hint} {list(data.shape)} */\n"
                    f"const {ctype} {ident}[{data.size}] __attribute__((aligned(TM_ALIGN))) = {{\n"
                    f"{c_array_body(data)}\n}};")
        if is_weight:
            weights_bytes += data.nbytes
        else:
            tables_bytes += data.nbytes
    weights_h = f"""{provenance}
#ifndef {P}_WEIGHTS_H
#define {P}_WEIGHTS_H

#include "tinymem/types.h"

{chr(10).join(decls)}

#endif
"""
    weights_c = f"""{provenance}
#include <math.h>

#include "weights.h"

{chr(10).join(defs)}
"""
    files = {"model.h": header, "model.c": model_c, "weights.h": weights_h, "weights.c": weights_c}
    for ext in extensions:
        files.update(ext.files(prefix))
    return ModelSources(files, em.kernels, weights_bytes, tables_bytes)
