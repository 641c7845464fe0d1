/*
 * A hand-written tm_model for the serial tests, served by the device agent with the host port.
 *
 *  - stateful: a run counter (state_bytes 4) that RESET_STATE (reset_state) sets to 0 and every run
 *    increments, so a RUN executed twice shows up in the outputs;
 *  - in place: output 0 lives in the same bytes as input 0 (as an arena planner may place them),
 *    so a run clobbers its inputs;
 *  - big: input 0 and output 0 are 96x96x3 int8 (27,648 bytes, the VWW input), so transfers take
 *    several frames;
 *  - fallible: input 1 = {1, x} makes run() return TM_ERR_SHAPE.
 *
 *   out0[i] = in0[i] ^ (uint8_t)(counter * 7 + i)        (counter before the increment)
 *   out1    = {counter, sum of in0 bytes as uint8, + in1[1]}
 *
 * Updatable parameters: 300 bytes (PARAMS_READ / PARAMS_WRITE); params_changed fails when the
 * first byte is 0xEE.
 */
#include <string.h>

#include "agent.h"
#include "tinymem/port.h"
#include "tinymem/types.h"

#define FAKE_N 27648u

static uint8_t fake_arena[FAKE_N + 16u] __attribute__((aligned(16)));
static uint32_t fake_counter;
static uint8_t fake_params[300];

static const tm_tensor_desc fake_inputs[2] = {
    {"image", 4, {1, 96, 96, 3, 1, 1}, TM_S8, 0.5f, -3, FAKE_N},
    {"control", 2, {1, 2, 1, 1, 1, 1}, TM_S32, 0.0f, 0, 8u},
};
static const tm_tensor_desc fake_outputs[2] = {
    {"mixed", 4, {1, 96, 96, 3, 1, 1}, TM_S8, 0.25f, 1, FAKE_N},
    {"stats", 2, {1, 2, 1, 1, 1, 1}, TM_S32, 0.0f, 0, 8u},
};

static void *fake_input_ptr(int32_t i)
{
    return i == 0 ? (void *)fake_arena : (i == 1 ? (void *)(fake_arena + FAKE_N) : NULL);
}

static const void *fake_output_ptr(int32_t i)
{
    return i == 0 ? (const void *)fake_arena : (i == 1 ? (const void *)(fake_arena + FAKE_N + 8u) : NULL);
}

static tm_status fake_reset_state(void)
{
    fake_counter = 0;
    return TM_OK;
}

static tm_status fake_init(void)
{
    return fake_reset_state();
}

static tm_status fake_run(void)
{
    int32_t control[2], stats[2];
    uint32_t i, sum = 0;
    memcpy(control, fake_arena + FAKE_N, 8);
    if (control[0] == 1)
        return TM_ERR_SHAPE;
    for (i = 0; i < FAKE_N; ++i) {
        sum += fake_arena[i];
        fake_arena[i] = (uint8_t)(fake_arena[i] ^ (uint8_t)(fake_counter * 7u + i));
    }
    stats[0] = (int32_t)fake_counter;
    stats[1] = (int32_t)(sum + (uint32_t)control[1]);
    memcpy(fake_arena + FAKE_N + 8u, stats, 8);
    fake_counter++;
    return TM_OK;
}

static tm_status fake_params_changed(void)
{
    return fake_params[0] == 0xEEu ? TM_ERR_PARAM : TM_OK;
}

static const tm_model fake_model = {
    "fake_stateful", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 2, 2,
    fake_inputs, fake_outputs, fake_input_ptr, fake_output_ptr, fake_init, fake_run, fake_reset_state,
    (uint32_t)sizeof fake_arena, 4u, NULL, 0u, NULL, NULL,
};

int main(void)
{
    const tm_agent_config cfg = {"fake-board", "fake-fw-1", fake_params, (uint32_t)sizeof fake_params,
                                 fake_params_changed};
    tm_port_init();
    tm_agent_serve_config(&fake_model, &cfg);
}
