#include "systick_timer.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)

#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_ICSR_PENDSTCLR (1u << 25)

static volatile uint32_t systick_wraps;
static uint32_t ticks_per_us;
/* Microseconds counted before the last restart of the period. */
static uint64_t base_us;

void SysTick_Handler(void) { systick_wraps++; }

void systick_timer_start(uint32_t core_clock_hz) {
  ticks_per_us = core_clock_hz / 1000000u;
  SYST_CSR = 0;
  SYST_RVR = ticks_per_us * SYSTICK_TIMER_PERIOD_US - 1u;
  SYST_CVR = 0;
  systick_wraps = 0;
  base_us = 0;
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
  return base_us + (uint64_t)wraps_after * SYSTICK_TIMER_PERIOD_US + elapsed_ticks / ticks_per_us;
}

void systick_timer_restart_period(void) {
  __asm__ volatile("cpsid i" ::: "memory");
  const uint64_t now = systick_timer_us();
  SYST_CSR = 0;
  SCB_ICSR = SCB_ICSR_PENDSTCLR; /* a wrap that just happened is in `now` */
  base_us = now;
  systick_wraps = 0;
  SYST_CVR = 0; /* any write clears the counter; the next tick reloads it */
  SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CORE;
  while (SYST_CVR == 0) {
  }
  __asm__ volatile("cpsie i" ::: "memory");
}
