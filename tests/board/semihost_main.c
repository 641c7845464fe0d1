/*
 * Test harness firmware (no serial link): reads the raw bytes of every input for each step from
 * the host file "in.bin" through semihosting, runs the model once per step and writes the raw
 * output bytes to "out.bin" and each run's instruction count (tm_port_cycles difference, 32-bit
 * little-endian) to "cycles.bin". Both files are relative to the emulator's working directory.
 *
 * Exit status: 0 ok, 2 file error, 3 the model returned an error status, 4 no input.
 */
#include <stdint.h>

#include "model.h"
#include "semihost.h"
#include "tinymem/port.h"

extern const tm_model TM_MODEL_SYMBOL;

int main(void)
{
    const tm_model *m = &TM_MODEL_SYMBOL;
    tm_port_init();
    int32_t fin = tm_semihost_open("in.bin", 1);
    int32_t fout = tm_semihost_open("out.bin", 5);
    int32_t fcyc = tm_semihost_open("cycles.bin", 5);
    if (fin < 0 || fout < 0 || fcyc < 0)
        return 2;
    if (m->init() != TM_OK)
        return 3;
    int32_t steps = 0;
    for (;;) {
        int eof = 0;
        for (int32_t i = 0; i < m->num_inputs && !eof; ++i) {
            int32_t left = tm_semihost_read(fin, m->input_ptr(i), m->inputs[i].bytes);
            if (left == (int32_t)m->inputs[i].bytes && i == 0)
                eof = 1;
            else if (left != 0)
                return 2;
        }
        if (eof)
            break;
        uint32_t start = tm_port_cycles();
        tm_status status = m->run();
        uint32_t count = tm_port_cycles() - start;
        if (status != TM_OK)
            return 3;
        for (int32_t i = 0; i < m->num_outputs; ++i)
            if (tm_semihost_write(fout, m->output_ptr(i), m->outputs[i].bytes) != 0)
                return 2;
        uint8_t le[4] = {(uint8_t)count, (uint8_t)(count >> 8), (uint8_t)(count >> 16), (uint8_t)(count >> 24)};
        if (tm_semihost_write(fcyc, le, 4) != 0)
            return 2;
        ++steps;
    }
    tm_semihost_close(fin);
    tm_semihost_close(fout);
    tm_semihost_close(fcyc);
    return steps > 0 ? 0 : 4;
}
