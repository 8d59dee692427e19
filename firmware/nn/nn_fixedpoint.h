/* Fixed-point arithmetic of TensorFlow Lite's int8 kernels (gemmlowp's
 * rounding rules), written from their published definitions. Everything is
 * integer, so the host and every Cortex-M get the same bits. */
#ifndef HIL_NN_FIXEDPOINT_H
#define HIL_NN_FIXEDPOINT_H

#include <stdint.h>

/* (a * b * 2) >> 32, rounded to nearest, saturating the one overflow. */
static inline int32_t nn_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t product = (int64_t)a * (int64_t)b;
  const int64_t nudge = product >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return (int32_t)((product + nudge) / (1ll << 31));
}

/* x / 2^exponent, rounded to nearest, ties away from zero. */
static inline int32_t nn_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift, multiplier in Q31. */
static inline int32_t nn_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return nn_rounding_divide_by_pot(nn_doubling_high_mul(x * (1 << left), multiplier), right);
}

static inline int32_t nn_clamp(int32_t x, int32_t low, int32_t high) {
  return x < low ? low : x > high ? high : x;
}

#endif
