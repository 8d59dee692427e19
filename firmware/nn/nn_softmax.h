/* The fixed-point exponential and reciprocal behind TensorFlow Lite's int8
 * softmax (gemmlowp's algorithms, written from their definitions): raw
 * int32 values carry a fixed number of integer bits, products shift the
 * binary point, and every constant is exp(-2^k) or 48/17, -32/17 in the
 * format that uses it. */
#ifndef HIL_NN_SOFTMAX_H
#define HIL_NN_SOFTMAX_H

#include <stdint.h>

#include "nn_fixedpoint.h"

/* x * 2^exponent with rounding (exponent < 0) or saturation (exponent > 0). */
static inline int32_t nn_multiply_by_pot(int32_t x, int exponent) {
  if (exponent < 0) return nn_rounding_divide_by_pot(x, -exponent);
  if (exponent == 0) return x;
  const int32_t limit = (int32_t)((1ll << (31 - exponent)) - 1);
  if (x > limit) return INT32_MAX;
  if (x < -limit - 1) return INT32_MIN;
  return x * (1 << exponent);
}

/* e^a for a in [-1/4, 0), all in Q0.31. */
static inline int32_t nn_exp_quarter(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668; /* e^(-1/8) */
  const int32_t one_third = 715827883;
  const int32_t x = a + (1 << 28); /* a + 1/8 */
  const int32_t x2 = nn_doubling_high_mul(x, x);
  const int32_t x3 = nn_doubling_high_mul(x2, x);
  const int32_t x4 = nn_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = nn_multiply_by_pot(x4, -2);
  const int32_t series =
      nn_multiply_by_pot(nn_doubling_high_mul(x4_over_4 + x3, one_third) + x2, -1);
  return exp_minus_one_eighth + nn_doubling_high_mul(exp_minus_one_eighth, x + series);
}

/* e^a for a <= 0 with `integer_bits` integer bits; the result in Q0.31. */
static inline int32_t nn_exp_negative(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  int32_t result = nn_exp_quarter(nn_multiply_by_pot(a_mod_quarter_minus_quarter, integer_bits));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  /* e^(-2^k) for k = -2 .. 4, applied for each bit of what is left. */
  static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308,
                                     39332535,   720401,     242};
  for (int k = -2; k <= 4; ++k) {
    if (integer_bits <= k) break;
    const int shift = fractional_bits + k;
    if (shift < 0 || shift > 30) continue;
    if (remainder & ((int32_t)1 << shift)) result = nn_doubling_high_mul(result, factors[k + 2]);
  }
  return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1), x in Q0.31; the result in Q0.31. */
static inline int32_t nn_one_over_one_plus_x(int32_t x) {
  const int64_t sum = (int64_t)x + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t forty_eight_over_17 = 1515870810;       /* Q2.29 */
  const int32_t minus_thirty_two_over_17 = -1010580540; /* Q2.29 */
  int32_t estimate =
      forty_eight_over_17 + nn_doubling_high_mul(half_denominator, minus_thirty_two_over_17);
  for (int i = 0; i < 3; ++i) { /* Newton-Raphson, in Q2.29 */
    const int32_t product = nn_doubling_high_mul(half_denominator, estimate);
    const int32_t one_minus = (1 << 29) - product;
    estimate = estimate + nn_multiply_by_pot(nn_doubling_high_mul(estimate, one_minus), 2);
  }
  /* estimate / 2 (Q1.30 with the same bits), rescaled to Q0.31. */
  return nn_multiply_by_pot(estimate, 1);
}

/* 1 / x for x in Q(integer_bits).(31 - integer_bits), x >= 1: the result
 * as a Q0.31 value and the power of two it is to be divided by. */
static inline int32_t nn_reciprocal(int32_t x, int integer_bits, int *bits_over_unit) {
  const int headroom_plus_one = x == 0 ? 32 : __builtin_clz((uint32_t)x);
  *bits_over_unit = integer_bits - headroom_plus_one;
  const int32_t shifted_minus_one =
      (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
  return nn_one_over_one_plus_x(shifted_minus_one);
}

#endif
