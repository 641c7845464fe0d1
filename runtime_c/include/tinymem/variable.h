/*
 * Resource variables (TFLite VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE / CALL_ONCE).
 *
 * A resource variable is a persistent tensor in the model's state region (tm_state in model.c:
 * never reused by other buffers, kept between runs, set to its initial value by
 * <prefix>_init() and <prefix>_reset_state(), copied out/in by _state_save()/_state_load()).
 *
 *   READ_VARIABLE   memcpy(activation, state + offset, bytes)
 *   ASSIGN_VARIABLE memcpy(state + offset, activation, bytes)
 *
 * The generated code does these copies inline; there is no kernel function. The initial values
 * (a CALL_ONCE init subgraph evaluated at compile time, or TFLM's default: every byte set to the
 * int8 zero point) are constant tables in weights.c.
 */
#ifndef TINYMEM_VARIABLE_H
#define TINYMEM_VARIABLE_H

#include <string.h>

#include "tinymem/types.h"

#endif /* TINYMEM_VARIABLE_H */
