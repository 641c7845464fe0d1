/* int8 Conv2D in place for Cortex-M with the DSP extension: the signature and results of
 * runtime_c/kernels/tm_conv2d_inplace_s8.c.
 *
 * The portable kernel is compiled here under another name and serves the rows mode, which runs
 * tm_conv2d_s8 (the DSP one) on each output row with the DSP kernel's scratch (the portable
 * scratch-size formula calls tm_conv2d_s8_scratch_size, the DSP one), and the pixels mode for
 * more than TM__COPY_BYTES / 4 input channels. Its pixels mode (pointwise) runs tm_conv2d_s8 on
 * runs of pixels whose outputs miss their inputs, two pixels at a time once out.c == in.c, often
 * too few for the DSP kernel to pay for re-laying out its weights. Here the pixels go through
 * tm_conv2d_s8 in chunks of up to TM__COPY_BYTES / in.c pixels copied to the scratch first:
 * first chunk first when out.c <= in.c, last chunk first otherwise, so a chunk's outputs land
 * on bytes of its own inputs or of chunks already done, never on inputs still to be read.
 *
 * Scratch (tm_conv2d_inplace_s8_scratch_size) in that case: the chunk's copy (rounded up to 8),
 * then tm_conv2d_s8's scratch for a chunk (its panel); at least the portable kernel's. */
#include <string.h>

#include "tinymem/conv2d.h"
#include "tm_arm_dsp.h"

#define tm_conv2d_inplace_s8 tm__portable_conv2d_inplace_s8
#define tm_conv2d_inplace_s8_scratch_size tm__portable_conv2d_inplace_s8_scratch_size
#include "../kernels/tm_conv2d_inplace_s8.c"
#undef tm_conv2d_inplace_s8
#undef tm_conv2d_inplace_s8_scratch_size

#define TM__COPY_BYTES 1024 /* most bytes of input pixels copied at a time */

/* Pixels per chunk, 0 when the portable kernel runs. sub: the geometry of a full chunk. */
static int64_t tm__chunk_pixels(const tm_conv2d_geom *g, tm_conv2d_geom *sub)
{
    if (tm_conv2d_check_geom(g) != TM_OK || !tm_conv2d_inplace_pixels(g) ||
        4 * (int64_t)g->in.c > TM__COPY_BYTES)
        return 0;
    const int64_t npix = (int64_t)g->in.n * g->in.h * g->in.w, per = TM__COPY_BYTES / g->in.c;
    const int64_t k = npix < per ? npix : per;
    *sub = *g;
    sub->in.n = sub->out.n = 1;
    sub->in.h = sub->out.h = 1;
    sub->in.w = sub->out.w = (int32_t)k;
    return k;
}

size_t tm_conv2d_inplace_s8_scratch_size(const tm_conv2d_geom *g)
{
    const size_t portable = tm__portable_conv2d_inplace_s8_scratch_size(g);
    tm_conv2d_geom sub;
    const int64_t k = tm__chunk_pixels(g, &sub);
    if (k == 0)
        return portable;
    const size_t need = (size_t)(k * g->in.c + 7) / 8 * 8 + tm_conv2d_s8_scratch_size(&sub);
    return need > portable ? need : portable;
}

tm_status tm_conv2d_inplace_s8(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                               int8_t *buf, const int8_t *filter, void *scratch,
                               size_t scratch_bytes)
{
    tm_conv2d_geom sub;
    const int64_t per = tm__chunk_pixels(g, &sub);
    /* the portable kernel checks the arguments (and says what is wrong) and runs the other cases */
    if (per == 0 || scratch == NULL || scratch_bytes < tm_conv2d_inplace_s8_scratch_size(g))
        return tm__portable_conv2d_inplace_s8(g, p, buf, filter, scratch, scratch_bytes);

    const int32_t cin = g->in.c, cout = g->out.c;
    int8_t *copy = (int8_t *)scratch;
    const size_t copy_bytes = (size_t)(per * cin + 7) / 8 * 8;
    void *conv_scratch = copy + copy_bytes;
    const size_t conv_bytes = scratch_bytes - copy_bytes;
    const int64_t npix = (int64_t)g->in.n * g->in.h * g->in.w;
    const int forward = cout <= cin;
    for (int64_t done = 0; done < npix;) {
        const int64_t k = npix - done < per ? npix - done : per;
        const int64_t p0 = forward ? done : npix - done - k;
        memcpy(copy, buf + p0 * cin, (size_t)(k * cin));
        sub.in.w = sub.out.w = (int32_t)k;
        const tm_status st =
            tm_conv2d_s8(&sub, p, copy, filter, buf + p0 * cout, conv_scratch, conv_bytes);
        if (st != TM_OK)
            return st;
        done += k;
    }
    return TM_OK;
}
