/*
 * tinymem runtime: common types shared by every kernel and by generated model code.
 *
 * Conventions (all kernels):
 *  - C99, no dynamic allocation, no stdio, no global state; every kernel returns tm_status.
 *  - Activations are NHWC, row-major, densely packed.
 *  - Quantized values follow real = scale * (q - zero_point). Kernels take *offsets*
 *    (negated input zero points, output zero point) the way TFLite Micro's reference kernels
 *    do, and requantize with tm_multiply_by_quantized_multiplier (see fixedpoint.h).
 */
#ifndef TINYMEM_TYPES_H
#define TINYMEM_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TM_OK = 0,
    TM_ERR_SHAPE = 1,       /* inconsistent dimensions */
    TM_ERR_PARAM = 2,       /* a parameter outside its documented range */
    TM_ERR_SCRATCH = 3,     /* the scratch buffer is missing or too small */
    TM_ERR_UNSUPPORTED = 4, /* a valid case this kernel does not implement */
    TM_ERR_IO = 5           /* an input source failed (--stream-input: camera, DMA, serial link) */
} tm_status;

/* A 4-D NHWC shape. Tensors of lower rank use leading 1s. All fields >= 1. */
typedef struct {
    int32_t n, h, w, c;
} tm_dims4;

/*
 * Requantization of int32 accumulators to the output scale: for channel i (or all channels when
 * count == 1) out = tm_multiply_by_quantized_multiplier(acc, multiplier[i], shift[i]).
 * multiplier: Q31 in [2^30, 2^31) or 0; shift: in [-31, 30], positive = left shift.
 */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t count; /* 1 (per tensor) or the number of output channels (per channel) */
} tm_requant;

/* Output clamp of a fused activation, in the output's quantized domain. */
typedef struct {
    int32_t min, max;
} tm_act_s32;

/* Output clamp of a fused activation for float kernels (-INFINITY/INFINITY for none). */
typedef struct {
    float min, max;
} tm_act_f32;

/* Element types of model inputs and outputs. */
typedef enum { TM_F32, TM_F16, TM_S8, TM_U8, TM_S16, TM_S32, TM_S64, TM_BOOL } tm_dtype;

/* Describes a model input or output: shape (rank <= 6, unused dims 1), type, quantization. */
typedef struct {
    const char *name;
    int32_t rank;
    int32_t shape[6];
    tm_dtype dtype;
    float scale;        /* 0 for float tensors */
    int32_t zero_point;
    uint32_t bytes;
} tm_tensor_desc;

/*
 * --stream-input: the application's source of input windows (contract in tinymem/patch_stage.h).
 * It writes rows [y0, y0 + rows) x columns [x0, x0 + cols) of input `index` densely to dst.
 */
typedef tm_status (*tm_fetch_fn)(void *ctx, int32_t index, int32_t y0, int32_t x0, int32_t rows, int32_t cols,
                                 void *dst);

/*
 * A compiled model seen through one generic interface (generated as `<prefix>_model` in
 * model.c), so that the device agent and test harnesses need not know the model's prefix.
 */
typedef struct {
    const char *name;           /* graph name */
    const char *sha256;         /* SHA-256 of the source model file, hex */
    int32_t num_inputs, num_outputs;
    const tm_tensor_desc *inputs, *outputs;
    void *(*input_ptr)(int32_t index);
    const void *(*output_ptr)(int32_t index);
    tm_status (*init)(void);
    tm_status (*run)(void);
    tm_status (*reset_state)(void);
    uint32_t arena_bytes;       /* static arena (activations, I/O, scratch) */
    uint32_t state_bytes;       /* persistent state (0 for stateless models) */
    /* Updatable parameters (--updatable, docs/params.md): the params region in RAM, NULL and 0
     * when the model has none; call params_changed() after writing it in place (may be NULL). */
    uint8_t *params;
    uint32_t params_bytes;
    tm_status (*params_changed)(void);
    /* --stream-input: registers the source of the streamed inputs (those whose input_ptr() is
     * NULL); NULL when the model reads every input from the arena. */
    tm_status (*set_input_source)(tm_fetch_fn fetch, void *ctx);
} tm_model;

#define TM_ALIGN 16

#endif /* TINYMEM_TYPES_H */
