/* Runs a layer with the kernel set this build was compiled with. */
#include <string.h>

#include "nn.h"
#include "nn_kernels.h"

#ifdef NN_KERNELS_SIMD
#define CONV_2D nn_simd_conv2d
#define DEPTHWISE_CONV_2D nn_simd_depthwise_conv2d
#define FULLY_CONNECTED nn_simd_fully_connected
#else
#define CONV_2D nn_ref_conv2d
#define DEPTHWISE_CONV_2D nn_ref_depthwise_conv2d
#define FULLY_CONNECTED nn_ref_fully_connected
#endif

void nn_run_layer(const struct nn_layer *l, uint8_t *arena) {
  const int8_t *in = (const int8_t *)&arena[l->input];
  int8_t *out = (int8_t *)&arena[l->output];
  switch (l->op) {
    case NN_CONV_2D:
      CONV_2D(l, in, out);
      break;
    case NN_DEPTHWISE_CONV_2D:
      DEPTHWISE_CONV_2D(l, in, out);
      break;
    case NN_FULLY_CONNECTED:
      FULLY_CONNECTED(l, in, out);
      break;
    case NN_AVERAGE_POOL_2D:
      nn_ref_average_pool(l, in, out);
      break;
    case NN_MAX_POOL_2D:
      nn_ref_max_pool(l, in, out);
      break;
    case NN_RESHAPE:
      /* Same bytes, another shape: move them only if the planner put the
       * output elsewhere. */
      if (in != out) memmove(out, in, (size_t)(l->in.n * l->in.h * l->in.w * l->in.c));
      break;
    case NN_SOFTMAX:
      nn_ref_softmax(l, in, out);
      break;
    default:
      break;
  }
}
