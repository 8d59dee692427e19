/* The board layer: the only hardware the harness knows about.
 *
 * Every board provides a UART, a microsecond timer, three output pins and a
 * way to end the program. Boards differ in a few addresses and clocks; those
 * live in each board's board.c, never in the harness. */
#ifndef HIL_BOARD_H
#define HIL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The three trigger pins the host watches. */
enum board_pin {
  BOARD_PIN_INFERENCE = 0, /* high while one inference runs */
  BOARD_PIN_LAYER = 1,     /* toggles at every layer boundary */
  BOARD_PIN_TIMESTAMP = 2, /* MLPerf Tiny timestamp: idles high, pulses low */
  BOARD_PIN_COUNT = 3,
};

struct board_info {
  const char *name;  /* board name as the host knows it, e.g. "mps2-an386" */
  const char *core;  /* e.g. "cortex-m4" */
  uint32_t clock_hz; /* core clock, which also drives SysTick */
};

extern const struct board_info board_info;

/* Brings up clocks, UART, pins and the timer. Called once before main. */
void board_init(void);

/* Blocks until every byte is queued in the UART. */
void board_uart_write(const char *data, size_t length);

/* Returns the next received byte, or -1 if none is waiting. Never blocks. */
int board_uart_read_byte(void);

/* Drives a trigger pin. Boards whose pins are watched by an emulator use a
 * separate set and clear address per pin, since a store callback sees the
 * address written but not the value. */
void board_pin_write(enum board_pin pin, int level);

/* Microseconds since board_init, from SysTick. Never wraps in practice. */
uint64_t board_time_us(void);

/* Restarts the timer's periodic interrupt from now. Called as a measured
 * window opens, so the interrupt lands at the same instructions of the
 * window in every run: the same input then costs exactly the same
 * instructions, which the virtual bench's ground truth relies on. */
void board_restart_timer_period(void);

/* Ends the program: QEMU boards exit with the code (semihosting); hardware
 * boards halt in a breakpoint so a debugger sees why. */
void board_exit(int code) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* HIL_BOARD_H */
