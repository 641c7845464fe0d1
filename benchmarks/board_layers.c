/*
 * benchmarks/board.py --layers: firmware that runs one inference and reports the instructions of
 * each kernel call. The model.c it is built with is a copy whose TM_CHECK macro records
 * tm_port_cycles() around every call into tm_layer_counts; this main reads the inputs from the
 * host file "in.bin" and writes the counts to "layers.bin" (32-bit little-endian) through
 * semihosting. Exit status: 0 ok, 2 file error, 3 the model returned an error.
 */
#include <stdint.h>

#include "model.h"
#include "semihost.h"
#include "tinymem/port.h"

extern const tm_model TM_MODEL_SYMBOL;
extern uint32_t tm_layer_counts[256];
extern int32_t tm_layer_n;

int main(void)
{
    const tm_model *m = &TM_MODEL_SYMBOL;
    tm_port_init();
    int32_t fin = tm_semihost_open("in.bin", 1);
    int32_t fout = tm_semihost_open("layers.bin", 5);
    if (fin < 0 || fout < 0)
        return 2;
    if (m->init() != TM_OK)
        return 3;
    for (int32_t i = 0; i < m->num_inputs; ++i)
        if (tm_semihost_read(fin, m->input_ptr(i), m->inputs[i].bytes) != 0)
            return 2;
    tm_layer_n = 0;
    if (m->run() != TM_OK)
        return 3;
    const uint32_t n = tm_layer_n < 256 ? (uint32_t)tm_layer_n : 256u;
    if (tm_semihost_write(fout, tm_layer_counts, n * 4u) != 0)
        return 2;
    tm_semihost_close(fin);
    tm_semihost_close(fout);
    return 0;
}
