/* SIMD kernels for Cortex-M cores with the DSP extension (M4, M7, M33, M55):
 * the input is widened once into a column of int16 (with its offset added,
 * padding as zero), and each output is a dot product that does two
 * multiply-accumulates per SMLAD. Integer sums do not depend on their
 * order, so the result is the reference kernels' to the bit.
 *
 * Layers whose column does not fit the buffer run the reference kernel. */
#include <arm_acle.h>
#include <string.h>

#include "nn.h"
#include "nn_fixedpoint.h"
#include "nn_kernels.h"

#if !defined(__ARM_FEATURE_DSP)
#error "the simd kernels need a Cortex-M with the DSP extension"
#endif

const char nn_kernels[] = "simd";

#define NN_COLUMN_CAPACITY 4096
static int16_t column[NN_COLUMN_CAPACITY] __attribute__((aligned(4)));

static inline uint32_t load32(const void *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4); /* an unaligned LDR (these cores allow it), even freestanding */
  return v;
}

static inline uint32_t rotate8(uint32_t v) { return (v >> 8) | (v << 24); }

/* The input offset in both halfwords, for SXTAB16. */
static inline uint32_t offset_pair(int32_t offset) {
  return ((uint32_t)(offset & 0xFFFF) << 16) | (uint32_t)(offset & 0xFFFF);
}

/* Stores value k of a column of n: whole groups of four as x0 x2 x1 x3 (so
 * one load gives the pair SXTB16 makes of weights 0 and 2, the next the
 * pair of 1 and 3), the tail in order. */
static inline void put(int32_t k, int32_t n, int32_t value) {
  const int32_t group = k & ~3;
  if (group + 4 <= n) {
    static const uint8_t slot[4] = {0, 2, 1, 3};
    column[group + slot[k & 3]] = (int16_t)value;
  } else {
    column[k] = (int16_t)value;
  }
}

static int32_t dot(const int8_t *w, int32_t n) {
  int32_t acc = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t weights = load32(&w[k]);
    acc = __smlad(__sxtb16(weights), load32(&column[k]), acc);
    acc = __smlad(__sxtb16(rotate8(weights)), load32(&column[k + 2]), acc);
  }
  for (; k < n; ++k) acc += w[k] * column[k];
  return acc;
}

/* Two outputs at once: each pair of column values is loaded once for both. */
static void dot2(const int8_t *wa, const int8_t *wb, int32_t n, int32_t *a, int32_t *b) {
  int32_t acc_a = 0, acc_b = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t x02 = load32(&column[k]), x13 = load32(&column[k + 2]);
    const uint32_t va = load32(&wa[k]), vb = load32(&wb[k]);
    acc_a = __smlad(__sxtb16(va), x02, acc_a);
    acc_a = __smlad(__sxtb16(rotate8(va)), x13, acc_a);
    acc_b = __smlad(__sxtb16(vb), x02, acc_b);
    acc_b = __smlad(__sxtb16(rotate8(vb)), x13, acc_b);
  }
  for (; k < n; ++k) {
    acc_a += wa[k] * column[k];
    acc_b += wb[k] * column[k];
  }
  *a = acc_a;
  *b = acc_b;
}

void nn_simd_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t n = l->kernel_h * l->kernel_w * l->in.c;
  if (n > NN_COLUMN_CAPACITY) {
    nn_ref_conv2d(l, in, out);
    return;
  }
  const int32_t offset = -l->input_zero_point;
  const uint32_t offsets = offset_pair(offset);
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        int32_t k = 0;
        for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
          const int32_t iy = y0 + ky * l->dilation_h;
          for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
            const int32_t ix = x0 + kx * l->dilation_w;
            const int inside = iy >= 0 && iy < l->in.h && ix >= 0 && ix < l->in.w;
            const int8_t *pixel = &in[((b * l->in.h + iy) * l->in.w + ix) * l->in.c];
            int32_t ic = 0;
            if (inside && (k & 3) == 0 && (l->in.c & 3) == 0) {
              /* Four channels per step: SXTAB16 widens and offsets them in
               * exactly the column's x0 x2 / x1 x3 order. */
              for (; ic < l->in.c; ic += 4, k += 4) {
                const uint32_t x = load32(&pixel[ic]);
                const uint32_t pairs[2] = {__sxtab16(offsets, x), __sxtab16(offsets, rotate8(x))};
                __builtin_memcpy(&column[k], pairs, 8);
              }
            }
            for (; ic < l->in.c; ++ic, ++k) put(k, n, inside ? pixel[ic] + offset : 0);
          }
        }
        int8_t *result = &out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c];
        int32_t oc = 0;
        for (; oc + 2 <= l->out.c; oc += 2) {
          int32_t acc[2];
          dot2(&l->weights[oc * n], &l->weights[(oc + 1) * n], n, &acc[0], &acc[1]);
          for (int32_t j = 0; j < 2; ++j) {
            if (l->bias) acc[j] += l->bias[oc + j];
            result[oc + j] = nn_output(l, acc[j], oc + j);
          }
        }
        for (; oc < l->out.c; ++oc) {
          int32_t acc = dot(&l->weights[oc * n], n);
          if (l->bias) acc += l->bias[oc];
          result[oc] = nn_output(l, acc, oc);
        }
      }
    }
  }
}

void nn_simd_fully_connected(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t depth = l->in.c, units = l->out.c;
  if (depth > NN_COLUMN_CAPACITY) {
    nn_ref_fully_connected(l, in, out);
    return;
  }
  const int32_t offset = -l->input_zero_point;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t i = 0; i < depth; ++i) put(i, depth, in[b * depth + i] + offset);
    for (int32_t o = 0; o < units; ++o) {
      int32_t acc = dot(&l->weights[o * depth], depth);
      if (l->bias) acc += l->bias[o];
      out[b * units + o] = nn_output(l, acc, o);
    }
  }
}

/* Depthwise, four channels at a time: SXTAB16 widens two input bytes and
 * adds the offset to both in one step, and SMLABB / SMLATT accumulate each
 * channel apart (a depthwise output sums over taps, not channels). */
#define NN_DEPTHWISE_CHANNELS 512
static int32_t accumulators[NN_DEPTHWISE_CHANNELS];

void nn_simd_depthwise_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t channels = l->in.c;
  if (l->depth_multiplier != 1 || channels % 4 != 0 || channels > NN_DEPTHWISE_CHANNELS) {
    nn_ref_depthwise_conv2d(l, in, out);
    return;
  }
  const int32_t offset = -l->input_zero_point;
  const uint32_t offsets = offset_pair(offset);
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t y0 = oy * l->stride_h - l->pad_top, x0 = ox * l->stride_w - l->pad_left;
        for (int32_t c = 0; c < channels; ++c) accumulators[c] = l->bias ? l->bias[c] : 0;
        for (int32_t ky = 0; ky < l->kernel_h; ++ky) {
          const int32_t iy = y0 + ky * l->dilation_h;
          if (iy < 0 || iy >= l->in.h) continue;
          for (int32_t kx = 0; kx < l->kernel_w; ++kx) {
            const int32_t ix = x0 + kx * l->dilation_w;
            if (ix < 0 || ix >= l->in.w) continue;
            const int8_t *pixel = &in[((b * l->in.h + iy) * l->in.w + ix) * channels];
            const int8_t *taps = &l->weights[(ky * l->kernel_w + kx) * channels];
            for (int32_t c = 0; c < channels; c += 4) {
              const uint32_t x = load32(&pixel[c]), w = load32(&taps[c]);
              const uint32_t x02 = __sxtab16(offsets, x), x13 = __sxtab16(offsets, rotate8(x));
              const uint32_t w02 = __sxtb16(w), w13 = __sxtb16(rotate8(w));
              accumulators[c] = __smlabb(x02, w02, accumulators[c]);
              accumulators[c + 2] = __smlatt(x02, w02, accumulators[c + 2]);
              accumulators[c + 1] = __smlabb(x13, w13, accumulators[c + 1]);
              accumulators[c + 3] = __smlatt(x13, w13, accumulators[c + 3]);
            }
          }
        }
        int8_t *result = &out[((b * l->out.h + oy) * l->out.w + ox) * channels];
        for (int32_t c = 0; c < channels; ++c) result[c] = nn_output(l, accumulators[c], c);
      }
    }
  }
}
