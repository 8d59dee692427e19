/* On-device tests of the NN runtime's arithmetic: what the host checks
 * against its reference, checked where it runs, with the board's compiler,
 * flags and FPU (or soft-float). Built into harness-device-tests.elf. */
#include "device_test.h"
#include "nn.h"
#include "nn_fixedpoint.h"
#include "nn_kernels.h"

HIL_TEST(Requantize, RoundsHalfAwayFromZero) {
  /* 0.5 / 4 as a Q31 multiplier with shift -2: 12 -> 1.5 -> 2. */
  const int32_t multiplier = 1 << 30, shift = -2;
  HIL_EXPECT_EQ(nn_requantize(12, multiplier, shift), 2);
  HIL_EXPECT_EQ(nn_requantize(-12, multiplier, shift), -2);
  HIL_EXPECT_EQ(nn_requantize(10, multiplier, shift), 1);
}

HIL_TEST(Requantize, SaturatesTheOneOverflow) {
  HIL_EXPECT_EQ(nn_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);
}

HIL_TEST(Float, ExponentialMatchesKnownValues) {
  HIL_EXPECT_NEAR(nn_expf(0.0f), 1.0f, 0.0f);
  HIL_EXPECT_NEAR(nn_expf(1.0f), 2.7182818f, 1e-6f);
  HIL_EXPECT_NEAR(nn_expf(-2.5f), 0.0820850f, 1e-7f);
  HIL_EXPECT_EQ(nn_expf(-200.0f) == 0.0f, 1);
}

HIL_TEST(Float, QuantizeRoundsHalfAwayFromZero) {
  struct nn_layer l = {0};
  l.op = NN_QUANTIZE;
  l.out.n = l.out.h = l.out.w = 1;
  l.out.c = 4;
  l.scale = 0.5f;
  l.output_zero_point = 3;
  const float in[4] = {0.25f, -0.25f, 100.0f, -0.74f};
  int8_t out[4];
  nn_quantize(&l, in, out);
  HIL_EXPECT_EQ(out[0], 4);   /* 0.5 -> 1, + 3 */
  HIL_EXPECT_EQ(out[1], 2);   /* -0.5 -> -1, + 3 */
  HIL_EXPECT_EQ(out[2], 127); /* saturates */
  HIL_EXPECT_EQ(out[3], 2);   /* -1.48 -> -1, + 3 */
}

HIL_TEST(Int8, AddOfEqualScalesIsTheSum) {
  /* Both inputs and the output at one scale, zero points 0: a + b. */
  static const int32_t multipliers[3] = {1 << 30, 1 << 30, 1 << 30};
  static const int32_t shifts[3] = {0, 0, -18}; /* 1/2, 1/2, 2 / 2^20 = 1/2 x 2^-18 */
  struct nn_layer l = {0};
  l.out.n = l.out.h = l.out.w = 1;
  l.out.c = 3;
  l.multiplier = multipliers;
  l.shift = shifts;
  l.act_min = -128;
  l.act_max = 127;
  const int8_t a[3] = {10, -20, 100}, b[3] = {5, -7, 100};
  int8_t out[3];
  nn_add_int8(&l, a, b, out);
  HIL_EXPECT_EQ(out[0], 15);
  HIL_EXPECT_EQ(out[1], -27);
  HIL_EXPECT_EQ(out[2], 127); /* 200 clamps */
}

/* Fails on purpose, so the host's failure reporting has something to show;
 * runs only when asked (hil device-test --also-run-disabled). */
HIL_TEST(Demo, DISABLED_FailsOnPurpose) {
  const int32_t two = 1 + 1;
  HIL_EXPECT_EQ(two, 3);
  HIL_ASSERT_TRUE(two == 2);
  HIL_EXPECT_NEAR(nn_expf(1.0f), 3.0f, 0.01f);
}
