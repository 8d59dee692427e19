/* Layer micro-benchmarks: one int8 layer type, repeated, at a size fixed at
 * build time.
 *
 * These are the workloads the research used to learn the cost of a
 * multiply-accumulate per layer type before whole networks run. Every layer
 * keeps the tensor shape (H x W x C in, H x W x C out) so layers chain, and
 * the arithmetic follows TFLite's int8 scheme: int32 accumulation with the
 * input zero point, a bias, and a fixed-point requantisation. */
#include <stdint.h>
#include <string.h>

#include "workload.h"

#if !defined(MB_OP_DENSE) && !defined(MB_OP_CONV1X1) && !defined(MB_OP_CONV3X3) && \
    !defined(MB_OP_DEPTHWISE3X3)
#error "define one of MB_OP_DENSE, MB_OP_CONV1X1, MB_OP_CONV3X3, MB_OP_DEPTHWISE3X3"
#endif
#ifndef MB_HEIGHT
#define MB_HEIGHT 8
#endif
#ifndef MB_WIDTH
#define MB_WIDTH 8
#endif
#ifndef MB_CHANNELS
#define MB_CHANNELS 8
#endif
#ifndef MB_LAYERS
#define MB_LAYERS 3
#endif

#if defined(MB_OP_DENSE)
/* A dense layer maps a vector of C values to C values; height and width do
 * not apply. */
#define MB_NAME "mb-dense"
#define MB_OP "fully_connected"
#define MB_ELEMENTS (MB_CHANNELS)
#define MB_WEIGHTS (MB_CHANNELS * MB_CHANNELS)
#define MB_MACS ((uint32_t)MB_CHANNELS * MB_CHANNELS)
#elif defined(MB_OP_CONV1X1)
#define MB_NAME "mb-conv1x1"
#define MB_OP "conv_2d_1x1"
#define MB_ELEMENTS (MB_HEIGHT * MB_WIDTH * MB_CHANNELS)
#define MB_WEIGHTS (MB_CHANNELS * MB_CHANNELS)
#define MB_MACS ((uint32_t)MB_HEIGHT * MB_WIDTH * MB_CHANNELS * MB_CHANNELS)
#elif defined(MB_OP_CONV3X3)
#define MB_NAME "mb-conv3x3"
#define MB_OP "conv_2d_3x3"
#define MB_ELEMENTS (MB_HEIGHT * MB_WIDTH * MB_CHANNELS)
#define MB_WEIGHTS (9 * MB_CHANNELS * MB_CHANNELS)
#define MB_MACS ((uint32_t)MB_HEIGHT * MB_WIDTH * MB_CHANNELS * MB_CHANNELS * 9u)
#else
#define MB_NAME "mb-depthwise3x3"
#define MB_OP "depthwise_conv_2d_3x3"
#define MB_ELEMENTS (MB_HEIGHT * MB_WIDTH * MB_CHANNELS)
#define MB_WEIGHTS (9 * MB_CHANNELS)
#define MB_MACS ((uint32_t)MB_HEIGHT * MB_WIDTH * MB_CHANNELS * 9u)
#endif

#define MB_OUTPUTS 10
#define MB_INPUT_ZERO_POINT (-3)
#define MB_OUTPUT_ZERO_POINT 2
/* Requantisation: real scale ~ 2^-8 expressed as multiplier * 2^-(31+shift). */
#define MB_REQUANT_MULTIPLIER 1518500250 /* 0.7071 * 2^31 */
#define MB_REQUANT_SHIFT 7
#define MB_OUTPUT_SCALE (1.0f / 16.0f)

/* The height is read at run time so that every height runs the same machine
 * code and only loop counts change: with a constant, the compiler unrolls
 * and schedules each size differently, and cost per MAC would depend on the
 * size, which is not what a scaling benchmark should measure. */
static volatile const int mb_height = MB_HEIGHT;

static int8_t weights[MB_LAYERS][MB_WEIGHTS];
static int32_t biases[MB_LAYERS][MB_CHANNELS];
static int8_t input[MB_ELEMENTS];
static int8_t tensors[2][MB_ELEMENTS];

/* A fixed linear congruential generator, so weights are the same in every
 * build and the host can recompute the outputs. */
static uint32_t lcg_state;
static int8_t lcg_int8(void) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return (int8_t)(lcg_state >> 24);
}

static void mb_init(void) {
  lcg_state = 0x5EEDu;
  for (int layer = 0; layer < MB_LAYERS; ++layer) {
    for (int i = 0; i < MB_WEIGHTS; ++i) weights[layer][i] = lcg_int8();
    for (int c = 0; c < MB_CHANNELS; ++c) biases[layer][c] = (int32_t)lcg_int8() * 64;
  }
  memset(input, 0, sizeof(input));
  memset(tensors, 0, sizeof(tensors));
}

static void mb_set_input(const uint8_t *data, uint32_t length) {
  uint32_t copied = length < MB_ELEMENTS ? length : MB_ELEMENTS;
  memcpy(input, data, copied);
  memset(&input[copied], 0, MB_ELEMENTS - copied);
}

/* Rounding doubling high multiply and rounding right shift, as in TFLite's
 * MultiplyByQuantizedMultiplier for a positive shift count. */
static int8_t requantize(int32_t accumulator) {
  int64_t product = (int64_t)accumulator * MB_REQUANT_MULTIPLIER;
  int32_t high = (int32_t)((product + (1ll << 30)) >> 31);
  int32_t rounding = 1 << (MB_REQUANT_SHIFT - 1);
  int32_t scaled = (high + rounding) >> MB_REQUANT_SHIFT;
  int32_t value = scaled + MB_OUTPUT_ZERO_POINT;
  if (value > 127) value = 127;
  if (value < -128) value = -128;
  return (int8_t)value;
}

static void run_one_layer(const int8_t *in, int8_t *out, const int8_t *w, const int32_t *bias) {
  const int height = mb_height;
#if defined(MB_OP_DENSE)
  (void)height;
  for (int o = 0; o < MB_CHANNELS; ++o) {
    int32_t acc = bias[o];
    for (int i = 0; i < MB_CHANNELS; ++i)
      acc += (in[i] - MB_INPUT_ZERO_POINT) * w[o * MB_CHANNELS + i];
    out[o] = requantize(acc);
  }
#elif defined(MB_OP_CONV1X1)
  for (int p = 0; p < height * MB_WIDTH; ++p) {
    const int8_t *pixel = &in[p * MB_CHANNELS];
    for (int o = 0; o < MB_CHANNELS; ++o) {
      int32_t acc = bias[o];
      for (int i = 0; i < MB_CHANNELS; ++i)
        acc += (pixel[i] - MB_INPUT_ZERO_POINT) * w[o * MB_CHANNELS + i];
      out[p * MB_CHANNELS + o] = requantize(acc);
    }
  }
#elif defined(MB_OP_CONV3X3)
  /* Same padding: taps outside the tensor contribute the zero point, i.e.
   * nothing after the offset is applied. */
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < MB_WIDTH; ++x) {
      for (int o = 0; o < MB_CHANNELS; ++o) {
        int32_t acc = bias[o];
        for (int ky = 0; ky < 3; ++ky) {
          int iy = y + ky - 1;
          if (iy < 0 || iy >= height) continue;
          for (int kx = 0; kx < 3; ++kx) {
            int ix = x + kx - 1;
            if (ix < 0 || ix >= MB_WIDTH) continue;
            const int8_t *pixel = &in[(iy * MB_WIDTH + ix) * MB_CHANNELS];
            const int8_t *filter = &w[((o * 3 + ky) * 3 + kx) * MB_CHANNELS];
            for (int i = 0; i < MB_CHANNELS; ++i)
              acc += (pixel[i] - MB_INPUT_ZERO_POINT) * filter[i];
          }
        }
        out[(y * MB_WIDTH + x) * MB_CHANNELS + o] = requantize(acc);
      }
    }
  }
#else
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < MB_WIDTH; ++x) {
      for (int c = 0; c < MB_CHANNELS; ++c) {
        int32_t acc = bias[c];
        for (int ky = 0; ky < 3; ++ky) {
          int iy = y + ky - 1;
          if (iy < 0 || iy >= height) continue;
          for (int kx = 0; kx < 3; ++kx) {
            int ix = x + kx - 1;
            if (ix < 0 || ix >= MB_WIDTH) continue;
            acc += (in[(iy * MB_WIDTH + ix) * MB_CHANNELS + c] - MB_INPUT_ZERO_POINT) *
                   w[(ky * 3 + kx) * MB_CHANNELS + c];
          }
        }
        out[(y * MB_WIDTH + x) * MB_CHANNELS + c] = requantize(acc);
      }
    }
  }
#endif
}

static void mb_run_layer(uint32_t layer) {
  /* Layers ping-pong between two tensors, so the input survives for the
   * next inference. */
  const int8_t *in = layer == 0 ? input : tensors[(layer - 1) % 2];
  run_one_layer(in, tensors[layer % 2], weights[layer], biases[layer]);
}

static const char *mb_layer_op(uint32_t layer) {
  (void)layer;
  return MB_OP;
}

static uint32_t mb_layer_macs(uint32_t layer) {
  (void)layer;
  return MB_MACS;
}

static float mb_output(uint32_t index) {
  return (float)(tensors[(MB_LAYERS - 1) % 2][index % MB_ELEMENTS] - MB_OUTPUT_ZERO_POINT) *
         MB_OUTPUT_SCALE;
}

const struct workload the_workload = {
    .model_id = MB_NAME,
    .kernels = "reference",
    .input_bytes = MB_ELEMENTS,
    .output_count = MB_OUTPUTS,
    .layer_count = MB_LAYERS,
    .init = mb_init,
    .set_input = mb_set_input,
    .layer_op = mb_layer_op,
    .layer_macs = mb_layer_macs,
    .run_layer = mb_run_layer,
    .output = mb_output,
};
