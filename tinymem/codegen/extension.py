"""`Extension`: generated code that is not an operator (updatable parameters, a memory head).

`emit_model(..., extensions=[...])` calls, for each extension, in this order:

  prepare(em)          before the nodes are emitted (e.g. route tensors to a RAM region: em.param_offsets)
  header(prefix)       text added to model.h (macros, API declarations)
  state_c(em, prefix)  text added to model.c after the state region (static buffers)
  functions_c(em, prefix)  function definitions added to model.c (may use em.table / em.kernels)
  init_c(prefix)       statements run by init() before reset_state()
  keep_on_reset        persistent tensors that reset_state() leaves alone (init() handles them)
  model_params(prefix) (params pointer, bytes, params_changed) C expressions for tm_model, or None
  files(prefix)        extra project files {relative path: text}
  report(report)       add fields to the report dict (after build_report)
"""

from __future__ import annotations


class Extension:
    keep_on_reset: frozenset[str] = frozenset()

    def model_params(self, prefix: str) -> tuple[str, str, str] | None:
        return None

    def prepare(self, em) -> None:
        pass

    def header(self, prefix: str) -> str:
        return ""

    def state_c(self, em, prefix: str) -> str:
        return ""

    def functions_c(self, em, prefix: str) -> str:
        return ""

    def init_c(self, prefix: str) -> str:
        return ""

    def files(self, prefix: str) -> dict[str, str]:
        return {}

    def report(self, report: dict) -> None:
        pass
