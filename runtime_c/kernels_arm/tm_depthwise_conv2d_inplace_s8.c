/* int8 DepthwiseConv2D in place for Cortex-M with the DSP extension: the signature and results
 * of runtime_c/kernels/tm_depthwise_conv2d_inplace_s8.c.
 *
 * The portable kernel is compiled here under another name (so its mode choice is the same) and
 * serves the rows mode, which runs tm_depthwise_conv2d_3x3_s8 (the DSP one, with its scratch:
 * the portable scratch-size formula calls the DSP size query) on each output row. Its channels
 * mode computes one channel plane at a time with scalar code; for 3x3 filters this kernel takes
 * the channels in groups instead: the group's planes are gathered into the scratch (pixels of
 * `group` channels, at most TM__GROUP_BYTES), followed by the group's channel constants, and the
 * DSP 3x3 core (tm_arm_dw3x3.h) computes the group's output channels from it straight into
 * their places in the buffer, which only those channels' inputs occupied.
 *
 * Scratch (tm_depthwise_conv2d_inplace_s8_scratch_size) in that case: group * h * w bytes
 * (rounded up to 8) + group * 44 B of constants; at least the portable kernel's. */
#include <string.h>

#include "tinymem/depthwise_conv2d.h"
#include "tm_arm_dw3x3.h"

#define tm_depthwise_conv2d_inplace_s8 tm__portable_depthwise_conv2d_inplace_s8
#define tm_depthwise_conv2d_inplace_s8_scratch_size tm__portable_depthwise_conv2d_inplace_s8_scratch_size
#include "../kernels/tm_depthwise_conv2d_inplace_s8.c"
#undef tm_depthwise_conv2d_inplace_s8
#undef tm_depthwise_conv2d_inplace_s8_scratch_size

#define TM__GROUP_BYTES 3072 /* most bytes of a group's gathered planes */

/* Channels per group, 0 when the portable kernel runs. */
static int32_t tm__group_channels(const tm_conv2d_geom *g)
{
    const int64_t plane = (int64_t)g->in.h * g->in.w;
    if (tm_depthwise_conv2d_check_geom(g) != TM_OK || tm_dw_inplace_mode(g) != 1 ||
        !tm_dw_is_3x3(g) || plane > TM__GROUP_BYTES)
        return 0;
    int32_t group = (int32_t)(TM__GROUP_BYTES / plane);
    group = group < TM__CHUNK ? group : TM__CHUNK;
    return group < g->in.c ? group : g->in.c;
}

static size_t tm__slab_bytes(const tm_conv2d_geom *g, int32_t group)
{
    return ((size_t)group * g->in.h * g->in.w + 7) / 8 * 8;
}

size_t tm_depthwise_conv2d_inplace_s8_scratch_size(const tm_conv2d_geom *g)
{
    const size_t portable = tm__portable_depthwise_conv2d_inplace_s8_scratch_size(g);
    const int32_t group = tm__group_channels(g);
    if (group == 0)
        return portable;
    const size_t need = tm__slab_bytes(g, group) + (size_t)group * sizeof(tm__dwc);
    return need > portable ? need : portable;
}

/* The channels mode for 3x3 filters, in groups of `group` channels. A function of its own
 * (noinline): GCC allocates the registers of the DSP core's loops better there (KWS: 2.9 % fewer
 * instructions than inlined into the caller). */
static __attribute__((noinline)) void
tm__dw_groups(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p, int8_t *buf,
              const int8_t *filter, int32_t group, int8_t *scratch)
{
    int8_t *slab = scratch;
    tm__dwc *kc = (tm__dwc *)(scratch + tm__slab_bytes(g, group));
    const int64_t plane = (int64_t)g->in.h * g->in.w;
    const int32_t channels = g->in.c;
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
    const int32_t group = tm__group_channels(g);
    /* the portable kernel checks the arguments (and says what is wrong) and runs the other cases */
    if (group == 0 || scratch == NULL ||
        scratch_bytes < tm_depthwise_conv2d_inplace_s8_scratch_size(g))
        return tm__portable_depthwise_conv2d_inplace_s8(g, p, buf, filter, scratch, scratch_bytes);
    tm__dw_groups(g, p, buf, filter, group, (int8_t *)scratch);
    return TM_OK;
}
