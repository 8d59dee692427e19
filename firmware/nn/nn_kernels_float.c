/* float32 kernels: portable C for every board, run on the FPU or in
 * soft-float as the build's float ABI says. Every sum runs in a fixed
 * order and the build forbids fused multiply-add (-ffp-contract=off), and
 * the exponential is hil's own, so the host and every board round the same
 * way and agree to the bit. */
#include <stdint.h>
#include <string.h>

#include "nn.h"
#include "nn_kernels.h"

static int32_t count(const struct nn_dims *d) { return d->n * d->h * d->w * d->c; }

static float clampf(float x, float low, float high) { return x < low ? low : x > high ? high : x; }

/* e^x from +, -, * and bit operations only: x = k ln2 + r with |r| <= ln2/2,
 * e^r by its Taylor series to r^7 (relative error below 2e-7), times 2^k. */
float nn_expf(float x) {
  if (x != x) return x; /* NaN stays NaN (and never reaches the int cast) */
  if (x > 88.0f) x = 88.0f;
  if (x < -87.0f) return 0.0f;
  const float inv_ln2 = 1.44269504f, ln2_hi = 0.693145752f, ln2_lo = 1.42860677e-6f;
  const float scaled = x * inv_ln2;
  const int32_t k = (int32_t)(scaled < 0 ? scaled - 0.5f : scaled + 0.5f);
  const float r = (x - (float)k * ln2_hi) - (float)k * ln2_lo;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  /* 2^k as a float's exponent field; k is in [-126, 127] after the clamps. */
  const uint32_t bits = (uint32_t)(k + 127) << 23;
  float two_k;
  memcpy(&two_k, &bits, sizeof two_k);
  return p * two_k;
}

void nn_conv2d_float(const struct nn_layer *l, const float *in, float *out) {
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t oc = 0; oc < l->out.c; ++oc) {
          float acc = l->fbias ? l->fbias[oc] : 0.0f;
          for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
            const int32_t iy = y0 + ky * l->dilation_h;
            if (iy < 0 || iy >= l->in.h) continue;
            for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
              const int32_t ix = x0 + kx * l->dilation_w;
              if (ix < 0 || ix >= l->in.w) continue;
              const float *pixel = &in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c];
              const float *filter =
                  &l->fweights[((oc * l->kernel_h + ky) * l->kernel_w + kx) * l->in.c];
              for (int32_t ic = 0; ic < l->in.c; ++ic) acc += pixel[ic] * filter[ic];
            }
          }
          out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c + oc] =
              clampf(acc, l->fact_min, l->fact_max);
        }
      }
    }
  }
}

void nn_depthwise_conv2d_float(const struct nn_layer *l, const float *in, float *out) {
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t ic = 0; ic < l->in.c; ++ic) {
          for (int32_t m = 0; m < l->depth_multiplier; ++m) {
            const int32_t oc = ic * l->depth_multiplier + m;
            float acc = l->fbias ? l->fbias[oc] : 0.0f;
            for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
              const int32_t iy = y0 + ky * l->dilation_h;
              if (iy < 0 || iy >= l->in.h) continue;
              for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
                const int32_t ix = x0 + kx * l->dilation_w;
                if (ix < 0 || ix >= l->in.w) continue;
                acc += in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c + ic] *
                       l->fweights[(ky * l->kernel_w + kx) * l->out.c + oc];
              }
            }
            out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c + oc] =
                clampf(acc, l->fact_min, l->fact_max);
          }
        }
      }
    }
  }
}

void nn_fully_connected_float(const struct nn_layer *l, const float *in, float *out) {
  const int32_t depth = l->in.c, units = l->out.c;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t o = 0; o < units; ++o) {
      float acc = l->fbias ? l->fbias[o] : 0.0f;
      for (int32_t i = 0; i < depth; ++i) acc += in[b * depth + i] * l->fweights[o * depth + i];
      out[b * units + o] = clampf(acc, l->fact_min, l->fact_max);
    }
  }
}

void nn_pool_float(const struct nn_layer *l, const float *in, float *out) {
  const int average = l->op == NN_AVERAGE_POOL_2D;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t c = 0; c < l->out.c; ++c) {
          float sum = 0.0f, best = -3.40282347e38f;
          int32_t taps = 0;
          for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
            const int32_t iy = y0 + ky;
            if (iy < 0 || iy >= l->in.h) continue;
            for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
              const int32_t ix = x0 + kx;
              if (ix < 0 || ix >= l->in.w) continue;
              const float v = in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c + c];
              sum += v;
              ++taps;
              if (v > best) best = v;
            }
          }
          const float value = average ? (taps ? sum / (float)taps : 0.0f) : best;
          out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c + c] =
              clampf(value, l->fact_min, l->fact_max);
        }
      }
    }
  }
}

/* Softmax over the last dimension; scale holds beta. */
void nn_softmax_float(const struct nn_layer *l, const float *in, float *out) {
  const int32_t depth = l->in.c, rows = l->in.n * l->in.h * l->in.w;
  const float beta = l->scale;
  for (int32_t r = 0; r < rows; ++r) {
    const float *row = &in[r * depth];
    float *result = &out[r * depth];
    float max = row[0], sum = 0.0f;
    for (int32_t c = 1; c < depth; ++c) max = row[c] > max ? row[c] : max;
    for (int32_t c = 0; c < depth; ++c) {
      result[c] = nn_expf((row[c] - max) * beta);
      sum += result[c];
    }
    for (int32_t c = 0; c < depth; ++c) result[c] = result[c] / sum;
  }
}

void nn_add_float(const struct nn_layer *l, const float *a, const float *b, float *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) out[i] = clampf(a[i] + b[i], l->fact_min, l->fact_max);
}

void nn_mul_float(const struct nn_layer *l, const float *a, const float *b, float *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) out[i] = clampf(a[i] * b[i], l->fact_min, l->fact_max);
}

/* LOGISTIC, TANH and a standalone RELU / RELU6 (a clamp: fact_min/max). */
void nn_unary_float(const struct nn_layer *l, const float *in, float *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) {
    const float x = in[i];
    float y = x;
    if (l->op == NN_LOGISTIC) {
      y = 1.0f / (1.0f + nn_expf(-x));
    } else if (l->op == NN_TANH) {
      const float t = nn_expf(x < 0 ? 2.0f * x : -2.0f * x); /* e^(-2|x|) */
      y = (1.0f - t) / (1.0f + t);
      if (x < 0) y = -y;
    }
    out[i] = clampf(y, l->fact_min, l->fact_max);
  }
}

/* int8 -> float32: (q - zero point) x scale. */
void nn_dequantize(const struct nn_layer *l, const int8_t *in, float *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) out[i] = (float)(in[i] - l->input_zero_point) * l->scale;
}

/* float32 -> int8: x / scale rounded half away from zero, plus the zero
 * point, saturated (TFLite's affine quantisation). */
void nn_quantize(const struct nn_layer *l, const float *in, int8_t *out) {
  const int32_t n = count(&l->out);
  for (int32_t i = 0; i < n; ++i) {
    float q = in[i] / l->scale;
    if (q != q) q = 0.0f;   /* NaN: the zero point */
    if (q > 1e6f) q = 1e6f; /* far outside int8 either way; keeps the cast defined */
    if (q < -1e6f) q = -1e6f;
    int32_t whole = (int32_t)q; /* toward zero; the fraction below is exact */
    const float fraction = q - (float)whole;
    if (fraction >= 0.5f) ++whole;
    if (fraction <= -0.5f) --whole;
    out[i] = (int8_t)nn_clamp(whole + l->output_zero_point, -128, 127);
  }
}
