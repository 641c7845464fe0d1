/* int8 LSTM (int16 cell state), bit-exact with TFLM's integer LSTM: see tinymem/lstm.h. */
#include <string.h>

#include "tinymem/fixedpoint.h"
#include "tinymem/lstm.h"

/* The row helpers are specialised for a constant row count (16 or 4) only when inlined. */
#if defined(__GNUC__) || defined(__clang__)
#define TM_LSTM_INLINE static inline __attribute__((always_inline))
#else
#define TM_LSTM_INLINE static inline
#endif

/* TFLM's sigmoid_table_uint16: sigmoid(k / 24) in Q0.16, shared by its int16 sigmoid and tanh. */
static const uint16_t tm_lstm_sigmoid_table[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535
};

/* TFLM reference_integer_ops::Logistic (int16, input multiplier 0 / shift 0): Q3.12 -> Q0.15. */
static inline int32_t tm_lstm_sigmoid16(int32_t x)
{
    const int32_t v = x * 3;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t ua = tm_lstm_sigmoid_table[uh], ub = tm_lstm_sigmoid_table[uh + 1];
        r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int32_t)(r >> 10);
}

/* TFLM reference_integer_ops::Tanh (int16) after its multiplier normalisation: the input is
 * (x * mult + round) >> shift, output Q0.15. */
static inline int32_t tm_lstm_tanh16(int32_t x, int32_t mult, int32_t shift, int32_t rnd)
{
    const int32_t v = (x * mult + rnd) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = 0xFFFF << 8;
    } else {
        const uint32_t ua = tm_lstm_sigmoid_table[uh], ub = tm_lstm_sigmoid_table[uh + 1];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return r >> 8;
}

static inline int32_t tm_lstm_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* acc[r] (+)= sum_d v[d] * w[d * stride + r] for ROWS consecutive rows, modulo 2^32. ROWS is a
 * constant at each call, so the row loop vectorizes (int8 x int8 products fit int16). */
TM_LSTM_INLINE void tm_lstm_matvec(uint32_t *acc, const int8_t *w, ptrdiff_t stride, const int8_t *v,
                                  int32_t depth, int rows)
{
    for (int32_t d = 0; d < depth; ++d, w += stride) {
        const int32_t vd = v[d];
        for (int r = 0; r < rows; ++r)
            acc[r] += (uint32_t)(int32_t)(int16_t)(w[r] * vd);
    }
}

/* ROWS / 4 cells (4 interleaved gate rows each) starting at cell j: gates, cell and hidden. */
TM_LSTM_INLINE void tm_lstm_cells(const tm_lstm_params_s8 *p, int32_t ni, int32_t nc, int32_t j, int rows,
                                 const int8_t *x, const int8_t *h, int16_t *c, int8_t *y,
                                 int32_t tanh_mult, int32_t tanh_shift, int32_t tanh_rnd)
{
    uint32_t ai[16], ar[16];
    const ptrdiff_t stride = (ptrdiff_t)4 * nc;
    for (int r = 0; r < rows; ++r) {
        ai[r] = (uint32_t)p->input_bias[4 * j + r];
        ar[r] = (uint32_t)p->recurrent_bias[4 * j + r];
    }
    tm_lstm_matvec(ai, p->input_weights + 4 * j, stride, x, ni, rows);
    tm_lstm_matvec(ar, p->recurrent_weights + 4 * j, stride, h, nc, rows);
    for (int q = 0; q < rows / 4; ++q) {
        int32_t gate[4];
        for (int k = 0; k < 4; ++k) {
            const int r = 4 * q + k;
            const int32_t qi = tm_lstm_clamp(
                tm_multiply_by_quantized_multiplier((int32_t)ai[r], p->input_multiplier[k], p->input_shift[k]),
                -32768, 32767);
            const int32_t qr = tm_lstm_clamp(
                tm_multiply_by_quantized_multiplier((int32_t)ar[r], p->recurrent_multiplier[k], p->recurrent_shift[k]),
                -32768, 32767);
            const int32_t pre = tm_lstm_clamp(qi + qr, -32768, 32767);
            gate[k] = k == 2 ? tm_lstm_tanh16(pre, 3, 0, 0) : tm_lstm_sigmoid16(pre);
        }
        const int32_t cj0 = c[j + q];
        int32_t cj = tm_lstm_clamp(
            tm_multiply_by_quantized_multiplier(gate[1] * cj0, p->forget_multiplier, p->forget_shift), -32768, 32767);
        const int32_t u = tm_lstm_clamp(
            tm_multiply_by_quantized_multiplier(gate[0] * gate[2], p->update_multiplier, p->update_shift),
            -32768, 32767);
        cj = tm_lstm_clamp(cj + u, -32768, 32767);
        if (p->cell_clip > 0)
            cj = tm_lstm_clamp(cj, -p->cell_clip, p->cell_clip);
        c[j + q] = (int16_t)cj;
        const int32_t th = tm_lstm_tanh16(cj, tanh_mult, tanh_shift, tanh_rnd);
        y[j + q] = (int8_t)tm_lstm_clamp(
            tm_multiply_by_quantized_multiplier(th * gate[3], p->hidden_multiplier, p->hidden_shift) +
                p->hidden_zero_point, -128, 127);
    }
}

tm_status tm_lstm_s8(const tm_lstm_dims *dims, const tm_lstm_params_s8 *p, const int8_t *input,
                     int8_t *output, int8_t *hidden, int16_t *cell)
{
    const int32_t nb = dims->batches, nt = dims->steps, ni = dims->n_input, nc = dims->n_cell;
    int32_t tanh_mult = p->cell_tanh_multiplier, tanh_shift = p->cell_tanh_shift;
    if (nb < 1 || nt < 1 || ni < 1 || nc < 1 || ni > (1 << 16) || nc > (1 << 16))
        return TM_ERR_SHAPE;
    if (tanh_shift < 0 || tanh_shift > 14 || p->cell_clip < 0 || p->cell_clip > 32767 ||
        p->hidden_zero_point < -128 || p->hidden_zero_point > 127)
        return TM_ERR_PARAM;
    if (tanh_mult == 0) { /* TFLM: power-of-two case */
        tanh_mult = 3 << tanh_shift;
        tanh_shift = 0;
    }
    const int32_t tanh_rnd = tanh_shift > 0 ? 1 << (tanh_shift - 1) : 0;
    for (int32_t b = 0; b < nb; ++b) {
        int8_t *h = hidden + (size_t)b * (size_t)nc;
        int16_t *c = cell + (size_t)b * (size_t)nc;
        for (int32_t t = 0; t < nt; ++t) {
            const size_t row = dims->time_major ? (size_t)t * (size_t)nb + (size_t)b : (size_t)b * (size_t)nt + (size_t)t;
            const int8_t *x = input + row * (size_t)ni;
            int8_t *y = output + row * (size_t)nc; /* the new hidden state; h stays the old one */
            int32_t j = 0;
            for (; j + 4 <= nc; j += 4)
                tm_lstm_cells(p, ni, nc, j, 16, x, h, c, y, tanh_mult, tanh_shift, tanh_rnd);
            for (; j < nc; ++j)
                tm_lstm_cells(p, ni, nc, j, 4, x, h, c, y, tanh_mult, tanh_shift, tanh_rnd);
            memcpy(h, y, (size_t)nc);
        }
    }
    return TM_OK;
}
