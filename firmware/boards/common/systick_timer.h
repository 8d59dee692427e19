/* A microsecond clock on SysTick, shared by every Cortex-M board.
 *
 * DWT CYCCNT would be simpler, but QEMU does not implement it, and the same
 * timer must run on emulated and real boards. */
#ifndef HIL_SYSTICK_TIMER_H
#define HIL_SYSTICK_TIMER_H

#include <stdint.h>

/* Starts SysTick on the core clock, interrupting every
 * SYSTICK_TIMER_PERIOD_US microseconds to extend the 24-bit counter. The
 * clock must be a whole number of MHz. */
void systick_timer_start(uint32_t core_clock_hz);

/* Microseconds since systick_timer_start. */
uint64_t systick_timer_us(void);

/* Starts a new period now, keeping the microsecond count (less than a
 * microsecond is lost). The next period interrupt then comes exactly
 * SYSTICK_TIMER_PERIOD_US after this call, whatever happened before. */
void systick_timer_restart_period(void);

/* A whole number of microseconds, so every period starts on a microsecond
 * boundary; and short enough (at most 2^24 ticks up to 512 MHz) for one
 * counter period. */
#define SYSTICK_TIMER_PERIOD_US 32768u

#endif
