/* Reference kernels: portable C, one loop nest per op, written for clarity
 * and exactness. The SIMD set must give the same bits. */
#include <string.h>

#include "nn.h"
#include "nn_fixedpoint.h"
#include "nn_kernels.h"
#include "nn_softmax.h"

#ifndef NN_KERNELS_SIMD
const char nn_kernels[] = "reference";
#endif

void nn_ref_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t offset = -l->input_zero_point;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t oc = 0; oc < l->out.c; ++oc) {
          int32_t acc = 0;
          for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
            const int32_t iy = y0 + ky * l->dilation_h;
            if (iy < 0 || iy >= l->in.h) continue;
            for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
              const int32_t ix = x0 + kx * l->dilation_w;
              if (ix < 0 || ix >= l->in.w) continue;
              const int8_t *pixel = &in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c];
              const int8_t *filter =
                  &l->weights[((oc * l->kernel_h + ky) * l->kernel_w + kx) * l->in.c];
              for (int32_t ic = 0; ic < l->in.c; ++ic) acc += (pixel[ic] + offset) * filter[ic];
            }
          }
          if (l->bias) acc += l->bias[oc];
          out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c + oc] = nn_output(l, acc, oc);
        }
      }
    }
  }
}

void nn_ref_depthwise_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t offset = -l->input_zero_point;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t ic = 0; ic < l->in.c; ++ic) {
          for (int32_t m = 0; m < l->depth_multiplier; ++m) {
            const int32_t oc = ic * l->depth_multiplier + m;
            int32_t acc = 0;
            for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
              const int32_t iy = y0 + ky * l->dilation_h;
              if (iy < 0 || iy >= l->in.h) continue;
              for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
                const int32_t ix = x0 + kx * l->dilation_w;
                if (ix < 0 || ix >= l->in.w) continue;
                acc += (in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c + ic] + offset) *
                       l->weights[(ky * l->kernel_w + kx) * l->out.c + oc];
              }
            }
            if (l->bias) acc += l->bias[oc];
            out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c + oc] = nn_output(l, acc, oc);
          }
        }
      }
    }
  }
}

void nn_ref_fully_connected(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t offset = -l->input_zero_point;
  const int32_t depth = l->in.c, units = l->out.c;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t o = 0; o < units; ++o) {
      int32_t acc = 0;
      for (int32_t i = 0; i < depth; ++i)
        acc += (in[b * depth + i] + offset) * l->weights[o * depth + i];
      if (l->bias) acc += l->bias[o];
      out[b * units + o] = nn_output(l, acc, o);
    }
  }
}

static void pool(const struct nn_layer *l, const int8_t *in, int8_t *out, int average) {
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t c = 0; c < l->out.c; ++c) {
          int32_t sum = 0, count = 0, best = -128;
          for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
            const int32_t iy = y0 + ky;
            if (iy < 0 || iy >= l->in.h) continue;
            for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
              const int32_t ix = x0 + kx;
              if (ix < 0 || ix >= l->in.w) continue;
              const int32_t v = in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c + c];
              sum += v;
              ++count;
              if (v > best) best = v;
            }
          }
          int32_t value = best;
          if (average) {
            /* Rounded to nearest, ties away from zero. */
            value = count == 0 ? 0
                    : sum > 0  ? (sum + count / 2) / count
                               : (sum - count / 2) / count;
          }
          out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c + c] =
              (int8_t)nn_clamp(value, l->act_min, l->act_max);
        }
      }
    }
  }
}

void nn_ref_average_pool(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  pool(l, in, out, 1);
}
void nn_ref_max_pool(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  pool(l, in, out, 0);
}

/* Softmax over the last dimension: output scale 1/256, zero point -128. */
void nn_ref_softmax(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  enum { kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12 };
  const int32_t depth = l->in.c;
  const int32_t rows = l->in.n * l->in.h * l->in.w;
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t *row = &in[r * depth];
    int8_t *result = &out[r * depth];
    int32_t max = -128;
    for (int32_t c = 0; c < depth; ++c) max = row[c] > max ? row[c] : max;
    int32_t sum = 0;
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = row[c] - max;
      if (diff < l->softmax_diff_min) continue;
      const int32_t scaled =
          nn_doubling_high_mul(diff * (1 << l->softmax_shift), l->softmax_multiplier);
      sum += nn_multiply_by_pot(nn_exp_negative(scaled, kScaledDiffIntegerBits),
                                -kAccumulationIntegerBits);
    }
    int bits_over_unit = 0;
    const int32_t scale = nn_reciprocal(sum, kAccumulationIntegerBits, &bits_over_unit);
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = row[c] - max;
      if (diff < l->softmax_diff_min) {
        result[c] = -128;
        continue;
      }
      const int32_t scaled =
          nn_doubling_high_mul(diff * (1 << l->softmax_shift), l->softmax_multiplier);
      const int32_t exp = nn_exp_negative(scaled, kScaledDiffIntegerBits);
      const int32_t value =
          nn_rounding_divide_by_pot(nn_doubling_high_mul(scale, exp), bits_over_unit + 31 - 8);
      result[c] = (int8_t)nn_clamp(value - 128, -128, 127);
    }
  }
}
