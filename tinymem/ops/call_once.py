"""CallOnce: TFLite CALL_ONCE (runs an init subgraph before the first inference).

No IR node. The init subgraph (option `init_subgraph_index`) takes no inputs; in the models the
converter writes it assigns start values to resource variables. It is imported as its own graph
and evaluated at compile time with the numpy references (it depends on nothing but constants and
the variables' default values, so it can always be evaluated when its operators are supported);
the value it leaves in each variable becomes that variable's Tensor.init, which `init()` and
`reset_state()` write into the state region.

Difference from TFLM: MicroInterpreter::Reset() sets resource variables back to their zero point
without running CALL_ONCE again; tinymem's reset_state() restores the CALL_ONCE values, i.e. the
state of a freshly created interpreter. The two agree whenever the init subgraph assigns the zero
point (as the converter's streaming models do).
"""

from tinymem.errors import ModelFormatError
from tinymem.ops import _variables
from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class CallOnce(Op):
    name = "call_once"
    tflite = ("CALL_ONCE",)

    def import_tflite(self, ctx, op):
        where = f"node {ctx.node_name()}"
        index = ctx.options(op).get("init_subgraph_index")
        if index is None:
            raise ModelFormatError(f"{where}: CALL_ONCE without init_subgraph_index")
        sub = ctx.load_subgraph(int(index))
        finals = _variables.evaluate_init_subgraph(sub, where)
        by_tensor = {v: k for k, v in ctx.shared.get("var_tensors", {}).get(id(sub), {}).items()}
        values = _variables.call_once_values(ctx)
        for tensor, value in finals.items():
            if tensor in by_tensor:
                values[by_tensor[tensor]] = value
        # variables this graph created before the CALL_ONCE node take the values too
        for name, tensor in ctx.shared.get("var_tensors", {}).get(id(ctx.graph), {}).items():
            if name in values:
                t = ctx.graph.tensor(tensor)
                t.init = _variables._as_init(values[name], t, where)

    def infer(self, node, g):
        raise NotImplementedError("call_once never appears in the IR")
