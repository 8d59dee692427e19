#include "semihosting.h"

#include <stdint.h>

#define SYS_EXIT 0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uint32_t semihosting_call(uint32_t operation, const void *argument) {
  register uint32_t r0 __asm__("r0") = operation;
  register const void *r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semihosting_exit(int code) {
  /* SYS_EXIT_EXTENDED carries the exit code, which QEMU turns into its own. */
  const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
  semihosting_call(SYS_EXIT_EXTENDED, block);
  /* A host without the extension only knows the reason code. */
  semihosting_call(SYS_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
  for (;;) {
  }
}
