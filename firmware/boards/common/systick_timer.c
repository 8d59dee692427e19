#include "systick_timer.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define SYST_RELOAD 0x00FFFFFFu
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { systick_wraps++; }

void systick_timer_start(void) {
  SYST_CSR = 0;
  SYST_RVR = SYST_RELOAD;
  SYST_CVR = 0;
  systick_wraps = 0;
  SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CORE;
}

uint64_t systick_timer_ticks(void) {
  /* The counter counts down; a wrap between reading the wrap count and the
   * counter would lose 2^24 ticks, so read until the wrap count is stable. */
  uint32_t wraps_before, wraps_after, count;
  do {
    wraps_before = systick_wraps;
    count = SYST_CVR;
    wraps_after = systick_wraps;
  } while (wraps_before != wraps_after);
  return ((uint64_t)wraps_after << 24) + (SYST_RELOAD - count);
}
