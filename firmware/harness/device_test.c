/* The on-device test runner behind "hil-tests" and "hil-test N". Replies:
 *   m-hil-test-[INDEX SUITE.NAME FILE:LINE]          one per test (hil-tests)
 *   m-hil-test-failure-[FILE:LINE: EXPRESSION: DETAIL] each failed check
 *   m-hil-test-result-[pass|fail US]                 after a run (hil-test N) */
#include "device_test.h"

#include "board.h"
#include "output.h"

extern const struct hil_test __hil_tests_start[];
extern const struct hil_test __hil_tests_end[];

static int failures;

static uint32_t test_count(void) { return (uint32_t)(__hil_tests_end - __hil_tests_start); }

static void print_location(const char *file, uint32_t line) {
  /* The file's base name: paths differ between build machines. */
  const char *base = file;
  for (const char *c = file; *c != '\0'; ++c) {
    if (*c == '/') base = c + 1;
  }
  out_text(base);
  out_text(":");
  out_u32(line);
}

static void failure_start(const char *expression, const char *file, uint32_t line) {
  ++failures;
  out_text("m-hil-test-failure-[");
  print_location(file, line);
  out_text(": ");
  out_text(expression);
}

int hil_check(int ok, const char *expression, const char *file, uint32_t line) {
  if (ok) return 1;
  failure_start(expression, file, line);
  out_text(": false]");
  out_end_line();
  return 0;
}

int hil_check_eq(int64_t actual, int64_t expected, const char *expression, const char *file,
                 uint32_t line) {
  if (actual == expected) return 1;
  failure_start(expression, file, line);
  out_text(": actual ");
  out_i32((int32_t)actual);
  out_text(", expected ");
  out_i32((int32_t)expected);
  out_text("]");
  out_end_line();
  return 0;
}

int hil_check_near(float actual, float expected, float tolerance, const char *expression,
                   const char *file, uint32_t line) {
  const float difference = actual > expected ? actual - expected : expected - actual;
  if (difference <= tolerance) return 1;
  failure_start(expression, file, line);
  out_text(": actual ");
  out_float3(actual);
  out_text(", expected ");
  out_float3(expected);
  out_text(" within ");
  out_float3(tolerance);
  out_text("]");
  out_end_line();
  return 0;
}

void device_tests_list(void) {
  for (uint32_t i = 0; i < test_count(); ++i) {
    const struct hil_test *test = &__hil_tests_start[i];
    out_text("m-hil-test-[");
    out_u32(i);
    out_text(" ");
    out_text(test->suite);
    out_text(".");
    out_text(test->name);
    out_text(" ");
    print_location(test->file, test->line);
    out_text("]");
    out_end_line();
  }
}

void device_tests_run(uint32_t index) {
  if (index >= test_count()) {
    out_error("hil-test: no test with that index (hil-tests lists them)");
    return;
  }
  failures = 0;
  const uint64_t start = board_time_us();
  __hil_tests_start[index].body();
  const uint64_t elapsed = board_time_us() - start;
  out_text(failures == 0 ? "m-hil-test-result-[pass " : "m-hil-test-result-[fail ");
  out_u64(elapsed);
  out_text("]");
  out_end_line();
}
