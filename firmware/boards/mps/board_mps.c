/* Board layer of the Arm MPS2/MPS3 FPGA images that QEMU emulates.
 *
 * The images differ only in the numbers each board.cmake passes in: name,
 * core, clock and the UART0 address. */
#include "board.h"
#include "cmsdk_uart.h"
#include "emulated_pins.h"
#include "semihosting.h"
#include "systick_timer.h"

#if !defined(BOARD_NAME) || !defined(BOARD_CORE) || !defined(BOARD_CLOCK_HZ) || \
    !defined(BOARD_UART_BASE)
#error "board.cmake must define BOARD_NAME, BOARD_CORE, BOARD_CLOCK_HZ, BOARD_UART_BASE"
#endif

const struct board_info board_info = {
    .name = BOARD_NAME,
    .core = BOARD_CORE,
    .clock_hz = BOARD_CLOCK_HZ,
};

void board_init(void) {
  cmsdk_uart_init(BOARD_UART_BASE);
  emulated_pins_write(BOARD_PIN_INFERENCE, 0);
  emulated_pins_write(BOARD_PIN_LAYER, 0);
  emulated_pins_write(BOARD_PIN_TIMESTAMP, 1);
  systick_timer_start(BOARD_CLOCK_HZ);
}

void board_uart_write(const char *data, size_t length) {
  cmsdk_uart_write(BOARD_UART_BASE, data, length);
}

int board_uart_read_byte(void) { return cmsdk_uart_read_byte(BOARD_UART_BASE); }

void board_pin_write(enum board_pin pin, int level) { emulated_pins_write(pin, level); }

void board_exit(int code) { semihosting_exit(code); }
