/* int8 DepthwiseConv2D, 3x3 filters, depth multiplier 1, for Cortex-M with the DSP extension:
 * the signature and results of runtime_c/kernels/tm_depthwise_conv2d_3x3_s8.c (bit-exact with
 * TFLite Micro's DepthwiseConvPerChannel), with SMLAD (see tm_arm_dw3x3.h).
 *
 * Scratch: the constants of one chunk of up to TM__CHUNK channels (sizeof(tm__dwc) = 44 B per
 * channel), where the portable kernel needs none. */
#include "tm_arm_dw3x3.h"

size_t tm_depthwise_conv2d_3x3_s8_scratch_size(const tm_conv2d_geom *g)
{
    const int32_t nc = g->in.c < TM__CHUNK ? g->in.c : TM__CHUNK;
    return nc > 0 ? (size_t)nc * sizeof(tm__dwc) : 0;
}

tm_status tm_depthwise_conv2d_3x3_s8(const tm_conv2d_geom *g,
                                     const tm_depthwise_conv2d_params_s8 *p,
                                     const int8_t *input, const int8_t *filter, int8_t *output,
                                     void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    if (g->kh != 3 || g->kw != 3 || g->out.c != g->in.c)
        return TM_ERR_SHAPE;
    if (scratch == NULL || scratch_bytes < tm_depthwise_conv2d_3x3_s8_scratch_size(g))
        return TM_ERR_SCRATCH;
    const int32_t channels = g->in.c;
    tm__dwc *kc = (tm__dwc *)scratch;
    for (int32_t c0 = 0; c0 < channels; c0 += TM__CHUNK) {
        const int32_t nc = channels - c0 < TM__CHUNK ? channels - c0 : TM__CHUNK;
        const int fast = tm__dw_prepare(p, filter, c0, nc, kc);
        tm__dw_run(g, p, input + c0, (size_t)channels, output + c0, (size_t)channels, kc, c0, nc,
                   fast);
    }
    return TM_OK;
}
