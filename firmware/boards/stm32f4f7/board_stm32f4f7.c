/* Board layer of the STM32F4 and STM32F7 boards: NUCLEO-F767ZI (STM32F767ZI,
 * 216 MHz) and DISCO-F469NI (STM32F469NI, 180 MHz). Both families share the
 * RCC, PWR over-drive, flash and GPIO layouts; their USARTs differ (the F7's
 * has the L4-style ISR/RDR/TDR registers, the F4's a status and a data
 * register). The board's board.cmake sets every difference as a STM32F_*
 * definition.
 *
 * Clock: HSE (a crystal, or the ST-LINK's 8 MHz MCO in bypass) feeds the
 * PLL: SYSCLK = HSE / M * N / 2. Both run above 168 MHz, so voltage scale 1
 * with over-drive is entered before the switch (RM0386 and RM0410, "Entering
 * Over-drive mode"). APB1 is divided to stay within its limit. */
#include "board.h"
#include "systick_timer.h"

#if !defined(STM32F_FAMILY) || !defined(STM32F_PLLM) || !defined(STM32F_TRIGGER_PINS)
#error "board.cmake defines the STM32F_* board settings"
#endif

#define REG(address) (*(volatile uint32_t *)(address))

#define HSE_HZ 8000000u
#if BOARD_CLOCK_HZ != HSE_HZ / STM32F_PLLM * STM32F_PLLN / 2u
#error "BOARD_CLOCK_HZ must be 8 MHz / STM32F_PLLM * STM32F_PLLN / 2"
#endif

#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG(RCC_BASE + 0x40u)

#define PWR_CR REG(0x40007000u)
#define PWR_CSR REG(0x40007004u)
#define FLASH_ACR REG(0x40023C00u)

#define GPIO_BASE(port) (0x40020000u + 0x400u * (port))
#define GPIO_MODER(port) REG(GPIO_BASE(port) + 0x00u)
#define GPIO_OSPEEDR(port) REG(GPIO_BASE(port) + 0x08u)
#define GPIO_BSRR(port) REG(GPIO_BASE(port) + 0x18u)
#define GPIO_AFR(port, pin) REG(GPIO_BASE(port) + ((pin) < 8u ? 0x20u : 0x24u))

#if STM32F_FAMILY == 7
#define UART_CR1 REG(STM32F_UART_BASE + 0x00u)
#define UART_BRR REG(STM32F_UART_BASE + 0x0Cu)
#define UART_STATUS REG(STM32F_UART_BASE + 0x1Cu)           /* ISR */
#define UART_RX REG(STM32F_UART_BASE + 0x24u)               /* RDR */
#define UART_TX REG(STM32F_UART_BASE + 0x28u)               /* TDR */
#define UART_CR1_ENABLE ((1u << 3) | (1u << 2) | (1u << 0)) /* TE, RE, UE */
#else
#define UART_STATUS REG(STM32F_UART_BASE + 0x00u) /* SR */
#define UART_RX REG(STM32F_UART_BASE + 0x04u)     /* DR */
#define UART_TX REG(STM32F_UART_BASE + 0x04u)
#define UART_BRR REG(STM32F_UART_BASE + 0x08u)
#define UART_CR1 REG(STM32F_UART_BASE + 0x0Cu)
#define UART_CR1_ENABLE ((1u << 13) | (1u << 3) | (1u << 2)) /* UE, TE, RE */
#endif
#define UART_STATUS_RXNE (1u << 5)
#define UART_STATUS_TXE (1u << 7)

#define UART_BAUD 115200u

static const uint32_t kPinNumbers[BOARD_PIN_COUNT] = {STM32F_TRIGGER_PINS};

const struct board_info board_info = {
    .name = BOARD_NAME,
    .core = BOARD_CORE,
    .clock_hz = BOARD_CLOCK_HZ,
};

static uint32_t apb_prescaler_bits(uint32_t divider) {
  /* PPRE: 0xx = /1, 100 = /2, 101 = /4, 110 = /8, 111 = /16. */
  switch (divider) {
    case 2u:
      return 4u;
    case 4u:
      return 5u;
    case 8u:
      return 6u;
    case 16u:
      return 7u;
    default:
      return 0u;
  }
}

static void clock_init(void) {
  RCC_CR |= (STM32F_HSE_BYPASS ? (1u << 18) : 0u) | (1u << 16); /* HSEBYP, HSEON */
  while (!(RCC_CR & (1u << 17))) {                              /* HSERDY */
  }
  RCC_APB1ENR |= 1u << 28; /* PWREN */
  PWR_CR |= 3u << 14;      /* VOS = scale 1 */
  RCC_CFGR = (RCC_CFGR & ~((7u << 10) | (7u << 13) | (0xFu << 4))) |
             (apb_prescaler_bits(STM32F_APB1_DIVIDER) << 10) | (4u << 13); /* APB2 = /2 */
  RCC_PLLCFGR = STM32F_PLLM | (STM32F_PLLN << 6) | (0u << 16)              /* PLLP = 2 */
                | (1u << 22)                                               /* PLLSRC = HSE */
                | (STM32F_PLLQ << 24);
  RCC_CR |= 1u << 24; /* PLLON */
  while (!(RCC_CR & (1u << 25))) {
  }
  PWR_CR |= 1u << 16; /* ODEN */
  while (!(PWR_CSR & (1u << 16))) {
  }
  PWR_CR |= 1u << 17; /* ODSWEN */
  while (!(PWR_CSR & (1u << 17))) {
  }
  FLASH_ACR = (FLASH_ACR & ~0xFu) | (1u << 8) | STM32F_FLASH_WAIT_STATES; /* PRFTEN */
  while ((FLASH_ACR & 0xFu) != STM32F_FLASH_WAIT_STATES) {
  }
  RCC_CFGR = (RCC_CFGR & ~3u) | 2u; /* SW = PLL */
  while (((RCC_CFGR >> 2) & 3u) != 2u) {
  }
}

static void pin_mode(uint32_t port, uint32_t pin, uint32_t mode) {
  GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << (2u * pin))) | (mode << (2u * pin));
}

static void uart_init(void) {
  RCC_AHB1ENR |= 1u << STM32F_UART_PORT;
  RCC_APB1ENR |= 1u << STM32F_UART_ENABLE_BIT;
  const uint32_t pins[2] = {STM32F_UART_TX, STM32F_UART_RX};
  for (int i = 0; i < 2; ++i) {
    uint32_t shift = 4u * (pins[i] % 8u);
    GPIO_AFR(STM32F_UART_PORT, pins[i]) =
        (GPIO_AFR(STM32F_UART_PORT, pins[i]) & ~(0xFu << shift)) | (STM32F_UART_AF << shift);
    pin_mode(STM32F_UART_PORT, pins[i], 2u); /* alternate function */
  }
  /* 16x oversampling: BRR = f_ck / baud, rounded. */
  const uint32_t apb1_hz = BOARD_CLOCK_HZ / STM32F_APB1_DIVIDER;
  UART_BRR = (apb1_hz + UART_BAUD / 2u) / UART_BAUD;
  UART_CR1 = UART_CR1_ENABLE;
}

static void pins_init(void) {
  RCC_AHB1ENR |= 1u << STM32F_TRIGGER_PORT;
  for (int pin = 0; pin < BOARD_PIN_COUNT; ++pin) {
    pin_mode(STM32F_TRIGGER_PORT, kPinNumbers[pin], 1u);                /* output */
    GPIO_OSPEEDR(STM32F_TRIGGER_PORT) |= 3u << (2u * kPinNumbers[pin]); /* very high speed */
  }
}

void board_init(void) {
  clock_init();
  uart_init();
  pins_init();
  board_pin_write(BOARD_PIN_INFERENCE, 0);
  board_pin_write(BOARD_PIN_LAYER, 0);
  board_pin_write(BOARD_PIN_TIMESTAMP, 1);
  systick_timer_start(BOARD_CLOCK_HZ);
}

void board_uart_write(const char *data, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    while (!(UART_STATUS & UART_STATUS_TXE)) {
    }
    UART_TX = (uint8_t)data[i];
  }
}

int board_uart_read_byte(void) {
  if (!(UART_STATUS & UART_STATUS_RXNE)) return -1;
  return (int)(UART_RX & 0xFFu);
}

void board_pin_write(enum board_pin pin, int level) {
  uint32_t bit = 1u << kPinNumbers[pin];
  GPIO_BSRR(STM32F_TRIGGER_PORT) = level ? bit : bit << 16;
}
