#include "cmsdk_uart.h"

#define UART_REG(base, offset) (*(volatile uint32_t *)((base) + (offset)))
#define UART_DATA 0x00u
#define UART_STATE 0x04u
#define UART_CTRL 0x08u
#define UART_BAUDDIV 0x10u

#define STATE_TX_FULL (1u << 0)
#define STATE_RX_FULL (1u << 1)
#define CTRL_TX_ENABLE (1u << 0)
#define CTRL_RX_ENABLE (1u << 1)

void cmsdk_uart_init(uintptr_t base) {
  /* The divider is ignored by QEMU but must be at least 16 on the FPGA. */
  UART_REG(base, UART_BAUDDIV) = 16;
  UART_REG(base, UART_CTRL) = CTRL_TX_ENABLE | CTRL_RX_ENABLE;
}

void cmsdk_uart_write(uintptr_t base, const char *data, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    while (UART_REG(base, UART_STATE) & STATE_TX_FULL) {
    }
    UART_REG(base, UART_DATA) = (uint8_t)data[i];
  }
}

int cmsdk_uart_read_byte(uintptr_t base) {
  if (!(UART_REG(base, UART_STATE) & STATE_RX_FULL)) return -1;
  return (int)(UART_REG(base, UART_DATA) & 0xFFu);
}
