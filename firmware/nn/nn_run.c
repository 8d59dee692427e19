/* Runs a layer with the kernel set this build was compiled with, or, in a
 * build with the SIMD set, with the reference kernels where asked (hil
 * optimize's per-layer kernel choice). Both sets give the same bits. */
#include "nn.h"
#include "nn_kernels.h"

static void run_float(const struct nn_layer *l, uint8_t *arena) {
  const float *in = (const float *)(void *)&arena[l->input];
  const float *in2 = (const float *)(void *)&arena[l->input2];
  float *out = (float *)(void *)&arena[l->output];
  switch (l->op) {
    case NN_CONV_2D:
      nn_conv2d_float(l, in, out);
      break;
    case NN_DEPTHWISE_CONV_2D:
      nn_depthwise_conv2d_float(l, in, out);
      break;
    case NN_FULLY_CONNECTED:
      nn_fully_connected_float(l, in, out);
      break;
    case NN_AVERAGE_POOL_2D:
    case NN_MAX_POOL_2D:
      nn_pool_float(l, in, out);
      break;
    case NN_SOFTMAX:
      nn_softmax_float(l, in, out);
      break;
    case NN_ADD:
      nn_add_float(l, in, in2, out);
      break;
    case NN_MUL:
      nn_mul_float(l, in, in2, out);
      break;
    case NN_LOGISTIC:
    case NN_TANH:
    case NN_LOOKUP: /* in float, a standalone RELU / RELU6 clamp */
      nn_unary_float(l, in, out);
      break;
    default:
      break;
  }
}

void nn_run_layer(const struct nn_layer *l, uint8_t *arena) { nn_run_layer_with(l, arena, 0); }

void nn_run_layer_with(const struct nn_layer *l, uint8_t *arena, int reference) {
#ifdef NN_KERNELS_SIMD
  const int simd = !reference;
#else
  (void)reference;
#endif
  const int8_t *in = (const int8_t *)&arena[l->input];
  int8_t *out = (int8_t *)&arena[l->output];
  /* Byte movers and the steps between int8 and float32. */
  switch (l->op) {
    case NN_RESHAPE:
      nn_reshape(l, &arena[l->input], &arena[l->output]);
      return;
    case NN_PAD:
      nn_pad(l, &arena[l->input], &arena[l->output]);
      return;
    case NN_CONCATENATION:
      nn_concatenation(l, arena, &arena[l->output]);
      return;
    case NN_DEQUANTIZE:
      nn_dequantize(l, in, (float *)(void *)&arena[l->output]);
      return;
    case NN_QUANTIZE:
      nn_quantize(l, (const float *)(void *)&arena[l->input], out);
      return;
    default:
      break;
  }
  if (l->number == NN_FLOAT32) {
    run_float(l, arena);
    return;
  }
  switch (l->op) {
#ifdef NN_KERNELS_SIMD
    case NN_CONV_2D:
      (simd ? nn_simd_conv2d : nn_ref_conv2d)(l, in, out);
      break;
    case NN_DEPTHWISE_CONV_2D:
      (simd ? nn_simd_depthwise_conv2d : nn_ref_depthwise_conv2d)(l, in, out);
      break;
    case NN_FULLY_CONNECTED:
      (simd ? nn_simd_fully_connected : nn_ref_fully_connected)(l, in, out);
      break;
#else
    case NN_CONV_2D:
      nn_ref_conv2d(l, in, out);
      break;
    case NN_DEPTHWISE_CONV_2D:
      nn_ref_depthwise_conv2d(l, in, out);
      break;
    case NN_FULLY_CONNECTED:
      nn_ref_fully_connected(l, in, out);
      break;
#endif
    case NN_AVERAGE_POOL_2D:
      nn_ref_average_pool(l, in, out);
      break;
    case NN_MAX_POOL_2D:
      nn_ref_max_pool(l, in, out);
      break;
    case NN_SOFTMAX:
      nn_ref_softmax(l, in, out);
      break;
    case NN_ADD:
      nn_add_int8(l, in, (const int8_t *)&arena[l->input2], out);
      break;
    case NN_MUL:
      nn_mul_int8(l, in, (const int8_t *)&arena[l->input2], out);
      break;
    case NN_LOOKUP:
      nn_lookup_int8(l, in, out);
      break;
    default:
      break;
  }
}
