/* A 64-bit tick counter on SysTick, shared by every Cortex-M board.
 *
 * DWT CYCCNT would be simpler, but QEMU does not implement it, and the same
 * timer must run on emulated and real boards. */
#ifndef HIL_SYSTICK_TIMER_H
#define HIL_SYSTICK_TIMER_H

#include <stdint.h>

/* Starts SysTick on the core clock with the longest reload and its wrap
 * interrupt enabled. */
void systick_timer_start(void);

/* Core clock ticks since systick_timer_start. */
uint64_t systick_timer_ticks(void);

#endif
