"""patch_stage: the first operators of a model run patch by patch (MCUNetV2; `--patch`).

IR: patch_stage(X[1, H, W, C]) -> Y[1, OH, OW, OC], made by tinymem/schedule/patch.py (never
imported from a model file). Attributes:
  plan:          tinymem.schedule.patch_plan.PatchPlan (the stage's operators, one graph per patch)
  arena:         tinymem.memory.patch_arena.PatchArena (where one patch's buffers live: the
                 node's scratch block)
  stream_input:  X is fetched window by window through the application's callback

For each patch, in order: the input window with its halo is copied (or fetched) into the patch's
input buffer, the stage's operators run with their ordinary kernels on patch-sized shapes, and
the output patch is copied into its place in Y. The C code is one loop over the patches; the
per-patch shapes and paddings are tables of the kernels' parameter structs indexed by the patch.
"""

from __future__ import annotations

import numpy as np

from tinymem.ir import np_dtype
from tinymem.ops.op import Op
from tinymem.ops.registry import register


@register
class PatchStage(Op):
    name = "patch_stage"
    header = "patch_stage"  # tinymem/patch_stage.h (crop, place, the input callback)

    def infer(self, node, g):
        return [g.tensor(node.outputs[0]).shape]

    def macs(self, node, g):
        return node.attrs["plan"].patched_macs

    def scratch_bytes(self, node, g):
        return node.attrs["arena"].nbytes

    def reference(self, node, g, inputs):
        from tinymem.sim.interpret import interpret

        plan = node.attrs["plan"]
        y = np.zeros(g.tensor(node.outputs[0]).shape, np_dtype(g.tensor(node.outputs[0]).dtype))
        for patch in plan.patches:
            y0, y1, x0, x1 = patch.regions[plan.input]
            out = interpret(patch.graph, [inputs[0][:, y0:y1, x0:x1]])[0]
            r0, r1, c0, c1 = patch.regions[plan.output]
            y[:, r0:r1, c0:c1] = out
        return [y]

    def emit(self, node, g, em):
        from tinymem.codegen.patch_loop import emit_patch_loop

        return emit_patch_loop(node, g, em)
