/*
 * Host harness for a tinymem model: reads the raw bytes of every input for each step from a file,
 * runs the model once per step, and appends the raw bytes of every output to another file.
 *
 *   usage: host_model INPUT_FILE OUTPUT_FILE [STEPS [RESET_STEP ...]] [--params=PARAMS_FILE]
 *
 * --params=PARAMS_FILE (models compiled with --updatable): a params blob of exactly
 * <PREFIX>_PARAMS_BYTES bytes (tinymem.params.pack_params) loaded with params_load() after init().
 *
 * Each RESET_STEP (a step index, 0 <= RESET_STEP < STEPS) asks for the model's reset_state() to be
 * called just before that step runs (persistent state back to its initial value, as after init).
 *
 * Exit codes: 0 ok, 2 usage or I/O error, 3 the model returned an error status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#ifdef @PREFIX_UPPER@_STREAM_INPUT
/* --stream-input: this harness is the application's input source; it serves windows of the
 * streamed input from the whole image it read from the file. */
static uint8_t *stream_image;
static int32_t stream_index;

static tm_status stream_fetch(void *ctx, int32_t index, int32_t y0, int32_t x0, int32_t rows, int32_t cols,
                              void *dst)
{
    const tm_tensor_desc *d = &@PREFIX@_inputs[index];
    const size_t width = (size_t)d->shape[2], pixel = d->bytes / ((size_t)d->shape[1] * width);
    (void)ctx;
    if (index != stream_index || y0 < 0 || x0 < 0 || y0 + rows > d->shape[1] || x0 + cols > d->shape[2])
        return TM_ERR_PARAM;
    for (int32_t r = 0; r < rows; ++r)
        memcpy((uint8_t *)dst + (size_t)r * (size_t)cols * pixel,
               stream_image + ((size_t)(y0 + r) * width + (size_t)x0) * pixel, (size_t)cols * pixel);
    return TM_OK;
}
#endif

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s INPUT_FILE OUTPUT_FILE [STEPS [RESET_STEP ...]] [--params=FILE]\n", argv[0]);
        return 2;
    }
    const char *params_file = NULL;
    for (int a = 3; a < argc; ++a)
        if (strncmp(argv[a], "--params=", 9) == 0)
            params_file = argv[a] + 9;
    long steps = argc > 3 && argv[3][0] != '-' ? strtol(argv[3], NULL, 10) : 1;
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "cannot open %s\n", !in ? argv[1] : argv[2]);
        return 2;
    }
    tm_status status = @PREFIX@_init();
#ifdef @PREFIX_UPPER@_IO_EXTERNAL
    { /* --io external: this harness is the application that owns the I/O buffers */
        const void *ins[@PREFIX_UPPER@_NUM_INPUTS > 0 ? @PREFIX_UPPER@_NUM_INPUTS : 1];
        void *outs[@PREFIX_UPPER@_NUM_OUTPUTS > 0 ? @PREFIX_UPPER@_NUM_OUTPUTS : 1];
        for (int32_t i = 0; i < @PREFIX_UPPER@_NUM_INPUTS; ++i)
            ins[i] = calloc(1, @PREFIX@_inputs[i].bytes + 16u);
        for (int32_t i = 0; i < @PREFIX_UPPER@_NUM_OUTPUTS; ++i)
            outs[i] = calloc(1, @PREFIX@_outputs[i].bytes + 16u);
        if (status == TM_OK)
            status = @PREFIX@_set_io(ins, outs);
    }
#endif
#ifdef @PREFIX_UPPER@_STREAM_INPUT
    for (int32_t i = 0; i < @PREFIX_UPPER@_NUM_INPUTS; ++i)
        if (@PREFIX@_input_ptr(i) == NULL) {
            stream_index = i;
            stream_image = calloc(1, @PREFIX@_inputs[i].bytes);
        }
    if (status == TM_OK)
        status = @PREFIX@_set_input_source(stream_fetch, NULL);
#endif
    if (params_file != NULL && status == TM_OK) {
#ifdef @PREFIX_UPPER@_PARAMS_BYTES
        static uint8_t blob[@PREFIX_UPPER@_PARAMS_BYTES];
        FILE *pf = fopen(params_file, "rb");
        size_t got = pf ? fread(blob, 1, sizeof blob, pf) : 0;
        if (!pf || got != sizeof blob || fgetc(pf) != EOF) {
            fprintf(stderr, "params file %s: expected exactly %u bytes\n", params_file, (unsigned)sizeof blob);
            return 2;
        }
        fclose(pf);
        status = @PREFIX@_params_load(blob, (uint32_t)sizeof blob);
#else
        fprintf(stderr, "--params: this model has no updatable parameters (compile with --updatable)\n");
        return 2;
#endif
    }
    for (long s = 0; s < steps && status == TM_OK; ++s) {
        for (int a = 4; a < argc && status == TM_OK; ++a)
            if (argv[a][0] != '-' && strtol(argv[a], NULL, 10) == s)
                status = @PREFIX@_reset_state();
        if (status != TM_OK)
            break;
        for (int32_t i = 0; i < @PREFIX_UPPER@_NUM_INPUTS; ++i) {
            size_t n = @PREFIX@_inputs[i].bytes;
            void *dst = @PREFIX@_input_ptr(i);
#ifdef @PREFIX_UPPER@_STREAM_INPUT
            if (dst == NULL)
                dst = stream_image;
#endif
            if (fread(dst, 1, n, in) != n) {
                fprintf(stderr, "input file too short (step %ld, input %d)\n", s, (int)i);
                return 2;
            }
        }
        status = @PREFIX@_run();
        for (int32_t i = 0; i < @PREFIX_UPPER@_NUM_OUTPUTS && status == TM_OK; ++i)
            fwrite(@PREFIX@_output_ptr(i), 1, @PREFIX@_outputs[i].bytes, out);
    }
    fclose(in);
    if (fclose(out) != 0)
        return 2;
    if (status != TM_OK) {
        fprintf(stderr, "model returned status %d\n", (int)status);
        return 3;
    }
    return 0;
}
