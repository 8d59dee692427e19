/* Board layer of the nRF52840-DK.
 *
 * Clock: the core always runs at 64 MHz; starting the crystal oscillator
 * (HFXO) makes SysTick as accurate as the crystal. UART: the legacy UART0
 * peripheral on P0.06 (TX) and P0.08 (RX), the DK's virtual COM port.
 * Trigger pins: P0.03 (inference), P0.04 (layer), P0.28 (timestamp), the A0,
 * A1 and A2 header pins, driven through OUTSET/OUTCLR. */
#include "board.h"

#include "systick_timer.h"

#define REG(address) (*(volatile uint32_t *)(address))

#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)

#define UART0_BASE 0x40002000u
#define UART_TASKS_STARTRX REG(UART0_BASE + 0x000u)
#define UART_TASKS_STARTTX REG(UART0_BASE + 0x008u)
#define UART_EVENTS_RXDRDY REG(UART0_BASE + 0x108u)
#define UART_EVENTS_TXDRDY REG(UART0_BASE + 0x11Cu)
#define UART_ENABLE REG(UART0_BASE + 0x500u)
#define UART_PSEL_RTS REG(UART0_BASE + 0x508u)
#define UART_PSEL_TXD REG(UART0_BASE + 0x50Cu)
#define UART_PSEL_CTS REG(UART0_BASE + 0x510u)
#define UART_PSEL_RXD REG(UART0_BASE + 0x514u)
#define UART_RXD REG(UART0_BASE + 0x518u)
#define UART_TXD REG(UART0_BASE + 0x51Cu)
#define UART_BAUDRATE REG(UART0_BASE + 0x524u)

#define UART_ENABLE_UART 4u
#define UART_BAUDRATE_115200 0x01D7E000u
#define PSEL_DISCONNECTED 0xFFFFFFFFu

#define P0_BASE 0x50000000u
#define P0_OUTSET REG(P0_BASE + 0x508u)
#define P0_OUTCLR REG(P0_BASE + 0x50Cu)
#define P0_DIRSET REG(P0_BASE + 0x518u)

#define PIN_UART_TX 6u
#define PIN_UART_RX 8u

static const uint32_t kPinNumbers[BOARD_PIN_COUNT] = {3u, 4u, 28u};

const struct board_info board_info = {
    .name = "nrf52840dk",
    .core = "cortex-m4",
    .clock_hz = BOARD_CLOCK_HZ,
};

void board_init(void) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  while (CLOCK_EVENTS_HFCLKSTARTED == 0u) {
  }

  P0_OUTSET = 1u << PIN_UART_TX; /* idle high before the UART takes the pin */
  P0_DIRSET = 1u << PIN_UART_TX;
  UART_PSEL_TXD = PIN_UART_TX;
  UART_PSEL_RXD = PIN_UART_RX;
  UART_PSEL_RTS = PSEL_DISCONNECTED;
  UART_PSEL_CTS = PSEL_DISCONNECTED;
  UART_BAUDRATE = UART_BAUDRATE_115200;
  UART_ENABLE = UART_ENABLE_UART;
  UART_EVENTS_RXDRDY = 0;
  UART_EVENTS_TXDRDY = 0;
  UART_TASKS_STARTRX = 1;
  UART_TASKS_STARTTX = 1;

  for (int pin = 0; pin < BOARD_PIN_COUNT; ++pin) P0_DIRSET = 1u << kPinNumbers[pin];
  board_pin_write(BOARD_PIN_INFERENCE, 0);
  board_pin_write(BOARD_PIN_LAYER, 0);
  board_pin_write(BOARD_PIN_TIMESTAMP, 1);
  systick_timer_start(BOARD_CLOCK_HZ);
}

void board_uart_write(const char *data, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    UART_TXD = (uint8_t)data[i];
    while (UART_EVENTS_TXDRDY == 0u) {
    }
    UART_EVENTS_TXDRDY = 0;
  }
}

int board_uart_read_byte(void) {
  if (UART_EVENTS_RXDRDY == 0u) return -1;
  UART_EVENTS_RXDRDY = 0;
  return (int)(UART_RXD & 0xFFu);
}

void board_pin_write(enum board_pin pin, int level) {
  if (level) {
    P0_OUTSET = 1u << kPinNumbers[pin];
  } else {
    P0_OUTCLR = 1u << kPinNumbers[pin];
  }
}
