/* int8 DepthwiseConv2D in place for Cortex-M with the DSP extension: the signature, scratch size
 * and results of runtime_c/kernels/tm_depthwise_conv2d_inplace_s8.c.
 *
 * The portable kernel is compiled here under another name (so its mode choice and scratch size,
 * which the compiler planned, are the same by construction) and serves the rows mode, which runs
 * tm_depthwise_conv2d_3x3_s8 (the DSP one) on each output row. Its channels mode computes one
 * channel plane at a time with scalar code; for 3x3 filters this kernel takes the channels in
 * groups instead: the group's planes are gathered into a stack buffer (pixels of `group`
 * channels; 3 KB, plus 1.4 KB of channel constants: the deepest frame of the DSP kernels), and
 * the DSP 3x3 core (tm_arm_dw3x3.h) computes the group's output channels from it
 * straight into their places in the buffer, which only those channels' inputs occupied. */
#include <string.h>

#include "tinymem/depthwise_conv2d.h"
#include "tm_arm_dw3x3.h"

#define tm_depthwise_conv2d_inplace_s8 tm__portable_depthwise_conv2d_inplace_s8
#include "../kernels/tm_depthwise_conv2d_inplace_s8.c"
#undef tm_depthwise_conv2d_inplace_s8

#define TM__GROUP_BYTES 3072 /* stack bytes for a group's gathered planes */

/* The channels mode for 3x3 filters, in groups of channels (plane: in.h * in.w <=
 * TM__GROUP_BYTES). A function of its own (noinline) so that its stack buffers are not part of
 * the caller's frame while the portable kernel, and under it tm_depthwise_conv2d_3x3_s8 with its
 * own constants, runs the other modes. */
static __attribute__((noinline)) void
tm__dw_groups(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p, int8_t *buf,
              const int8_t *filter, int64_t plane)
{
    uint32_t words[TM__GROUP_BYTES / 4];
    int8_t *slab = (int8_t *)words;
    tm__dwc kc[TM__CHUNK];
    const int32_t channels = g->in.c;
    int32_t group = (int32_t)(TM__GROUP_BYTES / plane);
    group = group < TM__CHUNK ? group : TM__CHUNK;
    tm_conv2d_geom one = *g; /* one batch image */
    one.in.n = one.out.n = 1;
    for (int32_t b = 0; b < g->in.n; ++b) {
        int8_t *image = buf + (size_t)b * (size_t)plane * channels;
        for (int32_t c0 = 0; c0 < channels; c0 += group) {
            const int32_t nc = channels - c0 < group ? channels - c0 : group;
            for (int64_t i = 0; i < plane; ++i)
                memcpy(slab + i * nc, image + i * channels + c0, (size_t)nc);
            const int fast = tm__dw_prepare(p, filter, c0, nc, kc);
            tm__dw_run(&one, p, slab, (size_t)nc, image + c0, (size_t)channels, kc, c0, nc, fast);
        }
    }
}

tm_status tm_depthwise_conv2d_inplace_s8(const tm_conv2d_geom *g,
                                         const tm_depthwise_conv2d_params_s8 *p, int8_t *buf,
                                         const int8_t *filter, void *scratch, size_t scratch_bytes)
{
    /* the portable kernel checks the arguments (and says what is wrong) and runs the other cases */
    if (tm_depthwise_conv2d_check_geom(g) != TM_OK || tm_dw_inplace_mode(g) != 1 ||
        !tm_dw_is_3x3(g) || (int64_t)g->in.h * g->in.w > TM__GROUP_BYTES || scratch == NULL ||
        scratch_bytes < tm_depthwise_conv2d_inplace_s8_scratch_size(g))
        return tm__portable_depthwise_conv2d_inplace_s8(g, p, buf, filter, scratch, scratch_bytes);
    tm__dw_groups(g, p, buf, filter, (int64_t)g->in.h * g->in.w);
    return TM_OK;
}
