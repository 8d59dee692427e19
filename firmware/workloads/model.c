/* A network from a .tflite model, compiled by "hil model compile" into
 * model_data.c, run layer by layer with the NN runtime. The harness drives
 * the trigger pins around each layer; the layer table names the ops. */
#include <string.h>

#include "model_data.h"
#include "nn.h"
#include "workload.h"

static void model_init(void) { memset(hil_model_arena, 0, HIL_MODEL_ARENA_BYTES); }

static void model_set_input(const uint8_t *data, uint32_t length) {
  uint8_t *input = &hil_model_arena[hil_model.input];
  const uint32_t copied = length < HIL_MODEL_INPUT_BYTES ? length : HIL_MODEL_INPUT_BYTES;
  memcpy(input, data, copied);
  memset(&input[copied], 0, HIL_MODEL_INPUT_BYTES - copied);
}

static const char *model_layer_op(uint32_t layer) { return hil_model.layer_names[layer]; }
static uint32_t model_layer_macs(uint32_t layer) { return hil_model.layer_macs[layer]; }
/* Per-layer kernel choice (hil optimize): in a SIMD build, layer i runs
 * with the reference kernels when bit i is set; from layer 64 on, every
 * layer keeps the build's set. */
#ifndef NN_REFERENCE_LAYERS
#define NN_REFERENCE_LAYERS 0
#endif
static void model_run_layer(uint32_t layer) {
  const uint64_t reference_layers = (uint64_t)(NN_REFERENCE_LAYERS);
  nn_run_layer_with(&hil_model.layers[layer], hil_model_arena,
                    layer < 64 && ((reference_layers >> layer) & 1u) != 0);
}

/* An int8 output as its value, a float32 one as its bits: the host
 * compares either bit for bit with its reference. */
static int32_t model_output_raw(uint32_t index) {
  if (hil_model.output_number == NN_FLOAT32) {
    int32_t bits;
    memcpy(&bits, &hil_model_arena[hil_model.output + 4 * index], sizeof bits);
    return bits;
  }
  return ((const int8_t *)&hil_model_arena[hil_model.output])[index];
}

static float model_output(uint32_t index) {
  if (hil_model.output_number == NN_FLOAT32) {
    float value;
    memcpy(&value, &hil_model_arena[hil_model.output + 4 * index], sizeof value);
    return value;
  }
  return (float)(model_output_raw(index) - hil_model.output_zero_point) * hil_model.output_scale;
}

static uint32_t model_arena_used(void) { return HIL_MODEL_ARENA_BYTES; }

const struct workload the_workload = {
    .model_id = HIL_MODEL_ID,
    .kernels = nn_kernels,
    .input_bytes = HIL_MODEL_INPUT_BYTES,
    .output_count = HIL_MODEL_OUTPUT_COUNT,
    .layer_count = HIL_MODEL_LAYERS,
    .init = model_init,
    .set_input = model_set_input,
    .layer_op = model_layer_op,
    .layer_macs = model_layer_macs,
    .run_layer = model_run_layer,
    .output = model_output,
    .output_raw = model_output_raw,
    .arena_used = model_arena_used,
};
