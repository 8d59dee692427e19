/* The board timer every board builds on: SysTick (systick_timer.h). */
#include "board.h"
#include "systick_timer.h"

void board_restart_timer_period(void) { systick_timer_restart_period(); }

uint64_t board_time_us(void) { return systick_timer_us(); }
