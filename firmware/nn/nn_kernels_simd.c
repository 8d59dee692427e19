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

/* Two columns: a convolution widens the inputs of two neighbouring output
 * pixels and runs both against each pair of filters (four sums per weight
 * and input load, as CMSIS-NN's 2x2 matrix kernel does). */
#define NN_COLUMN_CAPACITY 4096
static int16_t column[2 * NN_COLUMN_CAPACITY] __attribute__((aligned(4)));

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
static inline void put(int16_t *col, int32_t k, int32_t n, int32_t value) {
  const int32_t group = k & ~3;
  if (group + 4 <= n) {
    static const uint8_t slot[4] = {0, 2, 1, 3};
    col[group + slot[k & 3]] = (int16_t)value;
  } else {
    col[k] = (int16_t)value;
  }
}

static int32_t dot(const int8_t *w, const int16_t *col, int32_t n) {
  int32_t acc = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t weights = load32(&w[k]);
    acc = __smlad(__sxtb16(weights), load32(&col[k]), acc);
    acc = __smlad(__sxtb16(rotate8(weights)), load32(&col[k + 2]), acc);
  }
  for (; k < n; ++k) acc += w[k] * col[k];
  return acc;
}

/* Four sums at once, filters a and b against columns 0 and 1: each weight
 * pair and each column pair is loaded once for two sums. */
static void dot2x2(const int8_t *wa, const int8_t *wb, const int16_t *c0, const int16_t *c1,
                   int32_t n, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t x0_02 = load32(&c0[k]), x0_13 = load32(&c0[k + 2]);
    const uint32_t x1_02 = load32(&c1[k]), x1_13 = load32(&c1[k + 2]);
    const uint32_t va = load32(&wa[k]);
    const uint32_t va02 = __sxtb16(va), va13 = __sxtb16(rotate8(va));
    a0 = __smlad(va02, x0_02, a0);
    a0 = __smlad(va13, x0_13, a0);
    a1 = __smlad(va02, x1_02, a1);
    a1 = __smlad(va13, x1_13, a1);
    const uint32_t vb = load32(&wb[k]);
    const uint32_t vb02 = __sxtb16(vb), vb13 = __sxtb16(rotate8(vb));
    b0 = __smlad(vb02, x0_02, b0);
    b0 = __smlad(vb13, x0_13, b0);
    b1 = __smlad(vb02, x1_02, b1);
    b1 = __smlad(vb13, x1_13, b1);
  }
  for (; k < n; ++k) {
    a0 += wa[k] * c0[k];
    a1 += wa[k] * c1[k];
    b0 += wb[k] * c0[k];
    b1 += wb[k] * c1[k];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = b0;
  acc[3] = b1;
}

/* Two outputs at once: each pair of column values is loaded once for both. */
static void dot2(const int8_t *wa, const int8_t *wb, const int16_t *col, int32_t n, int32_t *a,
                 int32_t *b) {
  int32_t acc_a = 0, acc_b = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t x02 = load32(&col[k]), x13 = load32(&col[k + 2]);
    const uint32_t va = load32(&wa[k]), vb = load32(&wb[k]);
    acc_a = __smlad(__sxtb16(va), x02, acc_a);
    acc_a = __smlad(__sxtb16(rotate8(va)), x13, acc_a);
    acc_b = __smlad(__sxtb16(vb), x02, acc_b);
    acc_b = __smlad(__sxtb16(rotate8(vb)), x13, acc_b);
  }
  for (; k < n; ++k) {
    acc_a += wa[k] * col[k];
    acc_b += wb[k] * col[k];
  }
  *a = acc_a;
  *b = acc_b;
}

/* The inputs under output pixel (oy, ox), widened and offset, into col
 * (padding as zero). */
static void fill_column(const struct nn_layer *l, const int8_t *in, int32_t b, int32_t oy,
                        int32_t ox, int32_t n, uint32_t offsets, int16_t *col) {
  const int32_t offset = -l->input_zero_point;
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
          __builtin_memcpy(&col[k], pairs, 8);
        }
      }
      for (; ic < l->in.c; ++ic, ++k) put(col, k, n, inside ? pixel[ic] + offset : 0);
    }
  }
}

static void finish(const struct nn_layer *l, int8_t *result, int32_t oc, int32_t acc) {
  if (l->bias) acc += l->bias[oc];
  result[oc] = nn_output(l, acc, oc);
}

void nn_simd_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t n = l->kernel_h * l->kernel_w * l->in.c;
  if (n > NN_COLUMN_CAPACITY) {
    nn_ref_conv2d(l, in, out);
    return;
  }
  const uint32_t offsets = offset_pair(-l->input_zero_point);
  int16_t *const c0 = column, *const c1 = column + NN_COLUMN_CAPACITY;
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      int32_t ox = 0;
      for (; ox + 2 <= l->out.w; ox += 2) {
        fill_column(l, in, b, oy, ox, n, offsets, c0);
        fill_column(l, in, b, oy, ox + 1, n, offsets, c1);
        int8_t *r0 = &out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c];
        int8_t *r1 = r0 + l->out.c;
        int32_t oc = 0;
        for (; oc + 2 <= l->out.c; oc += 2) {
          int32_t acc[4];
          dot2x2(&l->weights[oc * n], &l->weights[(oc + 1) * n], c0, c1, n, acc);
          finish(l, r0, oc, acc[0]);
          finish(l, r1, oc, acc[1]);
          finish(l, r0, oc + 1, acc[2]);
          finish(l, r1, oc + 1, acc[3]);
        }
        for (; oc < l->out.c; ++oc) {
          finish(l, r0, oc, dot(&l->weights[oc * n], c0, n));
          finish(l, r1, oc, dot(&l->weights[oc * n], c1, n));
        }
      }
      for (; ox < l->out.w; ++ox) {
        fill_column(l, in, b, oy, ox, n, offsets, c0);
        int8_t *result = &out[((b * l->out.h + oy) * l->out.w + ox) * l->out.c];
        int32_t oc = 0;
        for (; oc + 2 <= l->out.c; oc += 2) {
          int32_t acc[2];
          dot2(&l->weights[oc * n], &l->weights[(oc + 1) * n], c0, n, &acc[0], &acc[1]);
          finish(l, result, oc, acc[0]);
          finish(l, result, oc + 1, acc[1]);
        }
        for (; oc < l->out.c; ++oc) finish(l, result, oc, dot(&l->weights[oc * n], c0, n));
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
    for (int32_t i = 0; i < depth; ++i) put(column, i, depth, in[b * depth + i] + offset);
    for (int32_t o = 0; o < units; ++o) {
      int32_t acc = dot(&l->weights[o * depth], column, depth);
      if (l->bias) acc += l->bias[o];
      out[b * units + o] = nn_output(l, acc, o);
    }
  }
}

/* Depthwise, four channels at a time: SXTAB16 widens two input bytes and
 * adds the offset to both in one step, and SMLABB / SMLATT accumulate each
 * channel apart (a depthwise output sums over taps, not channels). The
 * four sums stay in registers across the taps, and each is requantised as
 * soon as it is complete. */

void nn_simd_depthwise_conv2d(const struct nn_layer *l, const int8_t *in, int8_t *out) {
  const int32_t channels = l->in.c;
  if (l->depth_multiplier != 1 || channels % 4 != 0) {
    nn_ref_depthwise_conv2d(l, in, out);
    return;
  }
  const int32_t offset = -l->input_zero_point;
  const uint32_t offsets = offset_pair(offset);
  for (int32_t b = 0; b < l->out.n; ++b) {
    for (int32_t oy = 0; oy < l->out.h; ++oy) {
      const int32_t y0 = oy * l->stride_h - l->pad_top;
      /* The filter rows and columns that fall inside the input. */
      int32_t ky_begin = 0, ky_end = l->kernel_h;
      while (ky_begin < ky_end && y0 + ky_begin * l->dilation_h < 0) ++ky_begin;
      while (ky_end > ky_begin && y0 + (ky_end - 1) * l->dilation_h >= l->in.h) --ky_end;
      for (int32_t ox = 0; ox < l->out.w; ++ox) {
        const int32_t x0 = ox * l->stride_w - l->pad_left;
        int32_t kx_begin = 0, kx_end = l->kernel_w;
        while (kx_begin < kx_end && x0 + kx_begin * l->dilation_w < 0) ++kx_begin;
        while (kx_end > kx_begin && x0 + (kx_end - 1) * l->dilation_w >= l->in.w) --kx_end;
        int8_t *result = &out[((b * l->out.h + oy) * l->out.w + ox) * channels];
        for (int32_t c = 0; c < channels; c += 4) {
          int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
          if (l->bias) {
            acc0 = l->bias[c];
            acc1 = l->bias[c + 1];
            acc2 = l->bias[c + 2];
            acc3 = l->bias[c + 3];
          }
          for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
            const int32_t iy = y0 + ky * l->dilation_h;
            const int8_t *row = &in[((b * l->in.h + iy) * l->in.w) * channels + c];
            const int8_t *taps = &l->weights[(ky * l->kernel_w) * channels + c];
            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
              const int32_t ix = x0 + kx * l->dilation_w;
              const uint32_t x = load32(&row[ix * channels]), w = load32(&taps[kx * channels]);
              const uint32_t x02 = __sxtab16(offsets, x), x13 = __sxtab16(offsets, rotate8(x));
              const uint32_t w02 = __sxtb16(w), w13 = __sxtb16(rotate8(w));
              acc0 = __smlabb(x02, w02, acc0);
              acc2 = __smlatt(x02, w02, acc2);
              acc1 = __smlabb(x13, w13, acc1);
              acc3 = __smlatt(x13, w13, acc3);
            }
          }
          result[c] = nn_output(l, acc0, c);
          result[c + 1] = nn_output(l, acc1, c + 1);
          result[c + 2] = nn_output(l, acc2, c + 2);
          result[c + 3] = nn_output(l, acc3, c + 3);
        }
      }
    }
  }
}
