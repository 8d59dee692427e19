#include "systick_timer.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)

static volatile uint32_t systick_wraps;
static uint32_t ticks_per_us;

void SysTick_Handler(void) { systick_wraps++; }

void systick_timer_start(uint32_t core_clock_hz) {
  ticks_per_us = core_clock_hz / 1000000u;
  SYST_CSR = 0;
  SYST_RVR = ticks_per_us * SYSTICK_TIMER_PERIOD_US - 1u;
  SYST_CVR = 0;
  systick_wraps = 0;
  SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CORE;
}

uint64_t systick_timer_us(void) {
  /* The counter counts down; a wrap between reading the wrap count and the
   * counter would lose a period, so read until the wrap count is stable. */
  uint32_t wraps_before, wraps_after, count;
  do {
    wraps_before = systick_wraps;
    count = SYST_CVR;
    wraps_after = systick_wraps;
  } while (wraps_before != wraps_after);
  const uint32_t elapsed_ticks = SYST_RVR - count;
  return (uint64_t)wraps_after * SYSTICK_TIMER_PERIOD_US + elapsed_ticks / ticks_per_us;
}

void systick_timer_align(void) {
  /* Sleeping until the period interrupt resumes execution at the same point
   * after every wrap, so what follows sees the interrupt at the same
   * instruction offsets each time. */
  const uint32_t wraps = systick_wraps;
  while (systick_wraps == wraps) {
    __asm__ volatile("wfi" ::: "memory");
  }
}
