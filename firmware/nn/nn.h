/* hil's NN runtime: a network lowered to a table of layers that run on one
 * activation arena. The same C runs on the DUT (Cortex-M, reference or SIMD
 * kernels) and on the host (the reference output hil compares against).
 *
 * int8 arithmetic follows TensorFlow Lite's quantisation scheme: int32
 * accumulation of (input - input zero point) x weight, an int32 bias, a
 * per-channel (or per-tensor) fixed-point requantisation, the output zero
 * point, and a clamp to the fused activation's range.
 *
 * float32 layers (number format float32) run the same ops on float tensors
 * with portable C kernels; with no fused multiply-add and hil's own
 * exponential they give the same bits on the host, on an FPU and in
 * soft-float. */
#ifndef HIL_NN_H
#define HIL_NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum nn_op {
  NN_CONV_2D = 1,
  NN_DEPTHWISE_CONV_2D,
  NN_FULLY_CONNECTED,
  NN_AVERAGE_POOL_2D,
  NN_MAX_POOL_2D,
  NN_RESHAPE,
  NN_SOFTMAX,
  NN_ADD,           /* two tensors of one shape */
  NN_MUL,           /* two tensors of one shape */
  NN_PAD,           /* before/after padding with the zero point (0.0f in float) */
  NN_CONCATENATION, /* parts[] = {arena offset, row bytes} per input */
  NN_LOOKUP,        /* int8 -> int8 through a 256-entry table in weights */
  NN_DEQUANTIZE,    /* int8 -> float32 */
  NN_QUANTIZE,      /* float32 -> int8 */
  NN_LOGISTIC,      /* float32 (int8 uses NN_LOOKUP) */
  NN_TANH,          /* float32 (int8 uses NN_LOOKUP) */
};

enum nn_number { NN_INT8 = 0, NN_FLOAT32 = 1 };

/* NHWC; a vector is 1 x 1 x 1 x C (n counts batches of fully connected). */
struct nn_dims {
  int32_t n, h, w, c;
};

struct nn_layer {
  uint8_t op;          /* enum nn_op */
  uint8_t number;      /* enum nn_number of the layer's arithmetic */
  uint8_t per_channel; /* multiplier and shift per output channel */
  uint8_t kernel_h, kernel_w;
  uint8_t stride_h, stride_w;
  uint8_t dilation_h, dilation_w;
  uint8_t depth_multiplier;
  int16_t pad_top, pad_left; /* padding before the first row / column */
  int16_t pad_channel;       /* pad: channels before the first one */
  uint32_t input, output;    /* byte offsets into the arena */
  uint32_t input2;           /* add, mul: the second input */
  struct nn_dims in, out;
  const int8_t *weights;     /* conv [oc][kh][kw][ic]; depthwise [kh][kw][oc]; fc [oc][ic] */
  const int32_t *bias;       /* per output channel, or null */
  const int32_t *multiplier; /* Q31 requantisation multipliers */
  const int32_t *shift;      /* and their power-of-two exponents (left if > 0) */
  int32_t input_zero_point, output_zero_point;
  int32_t input2_zero_point;
  /* Concatenation: part_count inputs; parts[2i] is the arena offset of
   * input i and parts[2i + 1] its bytes per row of in.n rows. */
  const int32_t *parts;
  uint32_t part_count;
  /* float32 layers: weights, bias and the fused activation's range;
   * quantize and dequantize: scale with output or input zero point. */
  const float *fweights, *fbias;
  float fact_min, fact_max, scale;
  int32_t act_min, act_max; /* the fused activation as a clamp */
  /* Softmax: beta x input scale as a multiplier with a left shift, and the
   * smallest difference from the row's maximum that still counts. */
  int32_t softmax_multiplier, softmax_shift, softmax_diff_min;
};

struct nn_model {
  const char *id;
  const struct nn_layer *layers;
  const char *const *layer_names; /* TFLite op names, for layers% */
  const uint32_t *layer_macs;
  uint32_t layer_count;
  uint32_t arena_bytes;
  uint32_t input, input_bytes;   /* arena offset and size of the input tensor */
  uint32_t output, output_count; /* and of the output */
  float output_scale;
  int32_t output_zero_point;
  uint8_t output_number; /* enum nn_number: int8 outputs are dequantised */
};

/* Runs one layer on the arena. */
void nn_run_layer(const struct nn_layer *layer, uint8_t *arena);
/* The same; reference != 0 runs the layer with the portable reference
 * kernels in a build with the SIMD set (the outputs are the same bits). */
void nn_run_layer_with(const struct nn_layer *layer, uint8_t *arena, int reference);

/* The kernel set this build was compiled with: "reference" or "simd" (the
 * int8 kernels; float32 layers always use the portable float kernels). */
extern const char nn_kernels[];

#ifdef __cplusplus
}
#endif

#endif
