/* float32 Conv2D in place: the output overwrites the input in one buffer (both start at `buf`),
 * identical to tm_conv2d_f32 (which computes every value), with the modes of
 * tm_conv2d_inplace_s8 (pixels for pointwise stride-1 layers, rows otherwise; see conv2d.h). */
#include "tinymem/conv2d.h"
#include "tinymem/inplace.h"

#define TM_CONV2D_INPLACE_PIXELS 2 /* input pixels copied to the scratch at a time */

static int tm_conv2d_inplace_pixels_f(const tm_conv2d_geom *g)
{
    return tm_conv2d_is_pointwise(g) && g->stride_h == 1 && g->stride_w == 1 &&
           g->out.h == g->in.h && g->out.w == g->in.w;
}

size_t tm_conv2d_inplace_f32_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_conv2d_check_geom(g) != TM_OK)
        return 0;
    if (tm_conv2d_inplace_pixels_f(g))
        return (size_t)TM_CONV2D_INPLACE_PIXELS * g->in.c * sizeof(float);
    if (!tm_inplace_rows_ok(g))
        return 0;
    const size_t in_row = (size_t)g->in.w * g->in.c * sizeof(float);
    const size_t out_row = (size_t)g->out.w * g->out.c * sizeof(float);
    return tm_inplace_align8(tm_conv2d_f32_scratch_size(g)) +
           (size_t)tm_inplace_row_slots(g, in_row, out_row) * out_row;
}

static tm_status tm_conv2d_inplace_pixels_f32(const tm_conv2d_geom *g,
                                              const tm_conv2d_params_f32 *p, float *buf,
                                              const float *filter, float *tmp)
{
    const int64_t cin = g->in.c, cout = g->out.c;
    const int64_t npix = (int64_t)g->in.n * g->in.h * g->in.w;
    tm_conv2d_geom sub = *g;
    sub.in.n = sub.out.n = 1;
    sub.in.h = sub.out.h = 1;
    if (cout <= cin) {
        for (int64_t p0 = 0; p0 < npix;) {
            const int64_t q = p0 * cin / cout; /* pixels [p0, q) can be read where they are */
            int64_t k;
            const float *src;
            if (q > p0) {
                k = (q < npix ? q : npix) - p0;
                src = buf + p0 * cin;
            } else {
                k = npix - p0 < TM_CONV2D_INPLACE_PIXELS ? npix - p0 : TM_CONV2D_INPLACE_PIXELS;
                memcpy(tmp, buf + p0 * cin, (size_t)(k * cin) * sizeof(float));
                src = tmp;
            }
            sub.in.w = sub.out.w = (int32_t)k;
            tm_status st = tm_conv2d_f32(&sub, p, src, filter, buf + p0 * cout, NULL, 0);
            if (st != TM_OK)
                return st;
            p0 += k;
        }
        return TM_OK;
    }
    for (int64_t q = npix; q > 0;) {
        int64_t p0 = (q * cin + cout - 1) / cout; /* pixels [p0, q) can be read where they are */
        const float *src;
        if (p0 < q) {
            src = buf + p0 * cin;
        } else {
            p0 = q > TM_CONV2D_INPLACE_PIXELS ? q - TM_CONV2D_INPLACE_PIXELS : 0;
            memcpy(tmp, buf + p0 * cin, (size_t)((q - p0) * cin) * sizeof(float));
            src = tmp;
        }
        sub.in.w = sub.out.w = (int32_t)(q - p0);
        tm_status st = tm_conv2d_f32(&sub, p, src, filter, buf + p0 * cout, NULL, 0);
        if (st != TM_OK)
            return st;
        q = p0;
    }
    return TM_OK;
}

tm_status tm_conv2d_inplace_f32(const tm_conv2d_geom *g, const tm_conv2d_params_f32 *p,
                                float *buf, const float *filter, void *scratch,
                                size_t scratch_bytes)
{
    tm_status st = tm_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    const size_t need = tm_conv2d_inplace_f32_scratch_size(g);
    if (need == 0)
        return TM_ERR_UNSUPPORTED;
    if (scratch == NULL || scratch_bytes < need)
        return TM_ERR_SCRATCH;
    if (tm_conv2d_inplace_pixels_f(g))
        return tm_conv2d_inplace_pixels_f32(g, p, buf, filter, (float *)scratch);

    const size_t in_row = (size_t)g->in.w * g->in.c * sizeof(float);
    const size_t out_row = (size_t)g->out.w * g->out.c * sizeof(float);
    const size_t base = tm_conv2d_f32_scratch_size(g);
    const int32_t slots = tm_inplace_row_slots(g, in_row, out_row);
    int8_t *bytes = (int8_t *)buf, *ring = (int8_t *)scratch + tm_inplace_align8(base);
    int32_t done = 0;
    for (int32_t oy = 0; oy < g->out.h; ++oy) {
        tm_conv2d_geom sub;
        int32_t first = 0;
        if (!tm_inplace_row_geom(g, oy, &sub, &first))
            return TM_ERR_UNSUPPORTED;
        st = tm_conv2d_f32(&sub, p, (const float *)(bytes + (size_t)first * in_row), filter,
                           (float *)(ring + (size_t)(oy % slots) * out_row), scratch, base);
        if (st != TM_OK)
            return st;
        tm_inplace_flush(g, bytes, ring, slots, &done, oy + 1, in_row, out_row);
    }
    return TM_OK;
}
