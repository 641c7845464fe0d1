"""`UpdatableParams`: the params region's C code (API in docs/params.md) and its report entries."""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.codegen.extension import Extension


@dataclass
class UpdatableParams(Extension):
    layers: list  # ParamLayer (tinymem/params/updatable.py)
    nbytes: int
    alignment: int

    @property
    def tensors(self):
        return [t for layer in self.layers for t in layer.tensors]

    def prepare(self, em) -> None:
        em.param_offsets.update({t.tensor: t.offset for t in self.tensors})

    def model_params(self, prefix: str):
        return ("tm_params", f"{prefix.upper()}_PARAMS_BYTES", f"{prefix}_params_changed")

    def header(self, prefix: str) -> str:
        P = prefix.upper()
        names = ", ".join(layer.node for layer in self.layers)
        return f"""
/* Updatable parameters (--updatable {', '.join(layer.layer for layer in self.layers)}: {names}):
 * their weights and biases live in RAM, {P}_PARAMS_BYTES bytes laid out as report.json "params"
 * says (tinymem.params.pack_params builds a blob). init() copies the compiled-in values. */
#define {P}_PARAMS_BYTES {self.nbytes}u
/* Copy all parameters out / in (bytes must be {P}_PARAMS_BYTES); load calls params_changed(). */
tm_status {prefix}_params_save(void *dst, uint32_t bytes);
tm_status {prefix}_params_load(const void *src, uint32_t bytes);
/* Put the compiled-in parameters (kept in flash) back. */
tm_status {prefix}_params_reset(void);
/* The params region, to write parts of it in place; call params_changed() afterwards. */
uint8_t *{prefix}_params_ptr(void);
/* Tell the model the parameters changed (nothing is derived from them today: returns TM_OK). */
tm_status {prefix}_params_changed(void);
"""

    def state_c(self, em, prefix: str) -> str:
        P = prefix.upper()
        return (f"/* Updatable parameters (--updatable): weights and biases the application may replace. */\n"
                f"static uint8_t tm_params[{P}_PARAMS_BYTES] __attribute__((aligned(TM_ALIGN)));\n\n")

    def functions_c(self, em, prefix: str) -> str:
        P = prefix.upper()
        copies = "".join(
            f"    memcpy(tm_params + {t.offset}u, {em.table(f'{t.tensor}_init', t.data, weight=True)}, "
            f"{t.nbytes}u); /* {layer.node} {t.role} */\n".replace("*/ */", "* / */")
            for layer in self.layers for t in layer.tensors)
        return f"""tm_status {prefix}_params_reset(void)
{{
    memset(tm_params, 0, {P}_PARAMS_BYTES);
{copies}    return TM_OK;
}}

uint8_t *{prefix}_params_ptr(void)
{{
    return tm_params;
}}

tm_status {prefix}_params_changed(void)
{{
    return TM_OK;
}}

tm_status {prefix}_params_save(void *dst, uint32_t bytes)
{{
    if (dst == NULL || bytes != {P}_PARAMS_BYTES)
        return TM_ERR_PARAM;
    memcpy(dst, tm_params, {P}_PARAMS_BYTES);
    return TM_OK;
}}

tm_status {prefix}_params_load(const void *src, uint32_t bytes)
{{
    if (src == NULL || bytes != {P}_PARAMS_BYTES)
        return TM_ERR_PARAM;
    memcpy(tm_params, src, {P}_PARAMS_BYTES);
    return {prefix}_params_changed();
}}

"""

    def init_c(self, prefix: str) -> str:
        return f"    TM_CHECK({prefix}_params_reset());\n"

    def report(self, report: dict) -> None:
        ram = report["ram"]
        ram["params_bytes"] = self.nbytes
        ram["total_bytes"] += self.nbytes
        report["params"] = {"bytes": self.nbytes, "alignment": self.alignment,
                            "layers": [layer.describe() for layer in self.layers]}
