/* On-device test cases in googletest's style. A test is a function the
 * harness runs on the DUT when the host asks ("hil-test N"); checks that
 * fail print the file, line, the expression and the values, and the host
 * reports them as gtest and JUnit failures (hil device-test).
 *
 *   #include "device_test.h"
 *
 *   HIL_TEST(Requantize, RoundsHalfAwayFromZero) {
 *     HIL_EXPECT_EQ(nn_requantize(12, m, s), 2);
 *     HIL_ASSERT_TRUE(ptr != 0);   // ends the test when false
 *   }
 *
 * Tests whose name starts with DISABLED_ are listed but only run when the
 * host asks for them too (as googletest does). */
#ifndef HIL_DEVICE_TEST_H
#define HIL_DEVICE_TEST_H

#include <stdint.h>

struct hil_test {
  const char *suite;
  const char *name;
  void (*body)(void);
  const char *file;
  uint32_t line;
};

#define HIL_TEST(suite, name)                                                                  \
  static void hil_test_##suite##_##name(void);                                                 \
  __attribute__((used, section(".hil_tests"),                                                  \
                 aligned(4))) static const struct hil_test hil_test_entry_##suite##_##name = { \
      #suite, #name, hil_test_##suite##_##name, __FILE__, __LINE__};                           \
  static void hil_test_##suite##_##name(void)

/* Each returns whether the check held; a failure is printed at once. */
int hil_check(int ok, const char *expression, const char *file, uint32_t line);
int hil_check_eq(int64_t actual, int64_t expected, const char *expression, const char *file,
                 uint32_t line);
int hil_check_near(float actual, float expected, float tolerance, const char *expression,
                   const char *file, uint32_t line);

#define HIL_EXPECT_TRUE(condition) (void)hil_check(!!(condition), #condition, __FILE__, __LINE__)
#define HIL_EXPECT_EQ(actual, expected) \
  (void)hil_check_eq((actual), (expected), #actual " == " #expected, __FILE__, __LINE__)
#define HIL_EXPECT_NEAR(actual, expected, tolerance)                                            \
  (void)hil_check_near((actual), (expected), (tolerance), #actual " near " #expected, __FILE__, \
                       __LINE__)
#define HIL_ASSERT_TRUE(condition)                                         \
  do {                                                                     \
    if (!hil_check(!!(condition), #condition, __FILE__, __LINE__)) return; \
  } while (0)

/* The harness's commands: list every test, run one by index. */
void device_tests_list(void);
void device_tests_run(uint32_t index);

#endif
