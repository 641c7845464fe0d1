/* Copy a dense patch buffer into its window of a feature map (see tinymem/patch_stage.h). */
#include "tinymem/copy.h"
#include "tinymem/patch_stage.h"

tm_status tm_patch_place(const tm_rect *r, int32_t width, int32_t pixel_bytes, const void *patch, void *image)
{
    if (r->y0 < 0 || r->x0 < 0 || r->rows < 1 || r->cols < 1 || pixel_bytes < 1 || r->x0 + r->cols > width)
        return TM_ERR_PARAM;
    const ptrdiff_t stride = (ptrdiff_t)width * pixel_bytes, run = (ptrdiff_t)r->cols * pixel_bytes;
    unsigned char *dst = (unsigned char *)image + (ptrdiff_t)r->y0 * stride + (ptrdiff_t)r->x0 * pixel_bytes;
    tm__copy_rows(dst, stride, (const unsigned char *)patch, run, (size_t)run, r->rows);
    return TM_OK;
}
