/* The kernels behind nn_run_layer, and what every kernel set shares: the
 * last step of each output (requantise, add the zero point, clamp). */
#ifndef HIL_NN_KERNELS_H
#define HIL_NN_KERNELS_H

#include <stdint.h>

#include "nn.h"
#include "nn_fixedpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

void nn_ref_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_ref_depthwise_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_ref_fully_connected(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_ref_average_pool(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_ref_max_pool(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_ref_softmax(const struct nn_layer *l, const int8_t *in, int8_t *out);

/* Shared by both int8 sets (nn_kernels_elementwise.c). */
void nn_add_int8(const struct nn_layer *l, const int8_t *a, const int8_t *b, int8_t *out);
void nn_mul_int8(const struct nn_layer *l, const int8_t *a, const int8_t *b, int8_t *out);
void nn_lookup_int8(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_concatenation(const struct nn_layer *l, uint8_t *arena, uint8_t *out);
void nn_pad(const struct nn_layer *l, const uint8_t *in, uint8_t *out);
void nn_reshape(const struct nn_layer *l, const uint8_t *in, uint8_t *out);

/* float32 (nn_kernels_float.c). */
float nn_expf(float x);
void nn_conv2d_float(const struct nn_layer *l, const float *in, float *out);
void nn_depthwise_conv2d_float(const struct nn_layer *l, const float *in, float *out);
void nn_fully_connected_float(const struct nn_layer *l, const float *in, float *out);
void nn_pool_float(const struct nn_layer *l, const float *in, float *out);
void nn_softmax_float(const struct nn_layer *l, const float *in, float *out);
void nn_add_float(const struct nn_layer *l, const float *a, const float *b, float *out);
void nn_mul_float(const struct nn_layer *l, const float *a, const float *b, float *out);
void nn_unary_float(const struct nn_layer *l, const float *in, float *out);
void nn_dequantize(const struct nn_layer *l, const int8_t *in, float *out);
void nn_quantize(const struct nn_layer *l, const float *in, int8_t *out);

void nn_simd_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_simd_depthwise_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out);
void nn_simd_fully_connected(const struct nn_layer *l, const int8_t *in, int8_t *out);

/* An accumulator of output channel c as the layer's int8 output. */
static inline int8_t nn_output(const struct nn_layer *l, int32_t acc, int32_t c) {
  const int32_t i = l->per_channel ? c : 0;
  acc = nn_requantize(acc, l->multiplier[i], l->shift[i]);
  return (int8_t)nn_clamp(acc + l->output_zero_point, l->act_min, l->act_max);
}

#ifdef __cplusplus
}
#endif

#endif
