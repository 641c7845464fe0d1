/* int8 Conv2D in place for Cortex-M with the DSP extension: the signature, scratch size and
 * results of runtime_c/kernels/tm_conv2d_inplace_s8.c.
 *
 * The portable kernel is compiled here under another name (so its mode choice and scratch size,
 * which the compiler planned, are the same by construction) and serves the rows mode, which runs
 * tm_conv2d_s8 (the DSP one) on each output row. Its pixels mode (pointwise) runs tm_conv2d_s8 on
 * runs of pixels whose outputs miss their inputs, two pixels at a time once out.c == in.c, often
 * too few for the DSP kernel to pay for re-laying out its weights. Here the pixels go through
 * tm_conv2d_s8 in chunks of up to TM__COPY_BYTES / in.c pixels copied to the stack first: first
 * chunk first when out.c <= in.c, last chunk first otherwise, so a chunk's outputs land on bytes
 * of its own inputs or of chunks already done, never on inputs still to be read. */
#include <string.h>

#include "tinymem/conv2d.h"
#include "tm_arm_dsp.h"

#define tm_conv2d_inplace_s8 tm__portable_conv2d_inplace_s8
#include "../kernels/tm_conv2d_inplace_s8.c"
#undef tm_conv2d_inplace_s8

#define TM__COPY_BYTES 1024 /* stack bytes for the input pixels of a chunk */

tm_status tm_conv2d_inplace_s8(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                               int8_t *buf, const int8_t *filter, void *scratch,
                               size_t scratch_bytes)
{
    tm_status st = tm_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    const size_t need = tm_conv2d_inplace_s8_scratch_size(g);
    if (need == 0)
        return TM_ERR_UNSUPPORTED;
    if (scratch == NULL || scratch_bytes < need)
        return TM_ERR_SCRATCH;
    const int32_t cin = g->in.c, cout = g->out.c;
    if (!tm_conv2d_inplace_pixels(g) || 4 * cin > TM__COPY_BYTES)
        return tm__portable_conv2d_inplace_s8(g, p, buf, filter, scratch, scratch_bytes);

    uint32_t words[TM__COPY_BYTES / 4]; /* word-aligned copy of the chunk's inputs */
    int8_t *copy = (int8_t *)words;
    const int64_t npix = (int64_t)g->in.n * g->in.h * g->in.w, per = TM__COPY_BYTES / cin;
    const int forward = cout <= cin;
    tm_conv2d_geom sub = *g;
    sub.in.n = sub.out.n = 1;
    sub.in.h = sub.out.h = 1;
    for (int64_t done = 0; done < npix;) {
        const int64_t k = npix - done < per ? npix - done : per;
        const int64_t p0 = forward ? done : npix - done - k;
        memcpy(copy, buf + p0 * cin, (size_t)(k * cin));
        sub.in.w = sub.out.w = (int32_t)k;
        st = tm_conv2d_s8(&sub, p, copy, filter, buf + p0 * cout, NULL, 0);
        if (st != TM_OK)
            return st;
        done += k;
    }
    return TM_OK;
}
