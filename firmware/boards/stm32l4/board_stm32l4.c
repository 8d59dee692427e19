/* Board layer of the STM32L4 Nucleo-144 boards: NUCLEO-L4R5ZI (STM32L4R5ZI,
 * 120 MHz) and NUCLEO-L496ZG (STM32L496ZG, 80 MHz). The board's board.cmake
 * sets the differences: STM32L4_PLLN, STM32L4_FLASH_WAIT_STATES and
 * STM32L4_BOOST.
 *
 * Clock: the 4 MHz MSI feeds the PLL (M = 1, N, R = 2) for 2 * N MHz. Above
 * 80 MHz (the L4+ parts only) voltage range 1 must be in boost mode (RM0432,
 * "Dynamic voltage scaling management"); the flash wait states follow the
 * clock ("Read access latency").
 * UART: LPUART1 on PG7 (TX) and PG8 (RX), wired to the ST-LINK virtual COM
 * port on both boards; port G is powered from VDDIO2, which must be declared
 * valid first.
 * Trigger pins: PC8 (inference), PC9 (layer), PC10 (timestamp) on CN8,
 * driven through the port's set/reset register. */
#include "board.h"
#include "systick_timer.h"

#if !defined(STM32L4_PLLN) || !defined(STM32L4_FLASH_WAIT_STATES) || !defined(STM32L4_BOOST)
#error "board.cmake defines STM32L4_PLLN, STM32L4_FLASH_WAIT_STATES and STM32L4_BOOST"
#endif
#if BOARD_CLOCK_HZ != STM32L4_PLLN * 2000000u
#error "BOARD_CLOCK_HZ must be 4 MHz * STM32L4_PLLN / 2"
#endif

#define REG(address) (*(volatile uint32_t *)(address))

#define RCC_BASE 0x40021000u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR REG(RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1 REG(RCC_BASE + 0x58u)
#define RCC_APB1ENR2 REG(RCC_BASE + 0x5Cu)

#define PWR_BASE 0x40007000u
#define PWR_CR1 REG(PWR_BASE + 0x00u)
#define PWR_CR2 REG(PWR_BASE + 0x04u)
#define PWR_SR2 REG(PWR_BASE + 0x14u)
#define PWR_CR5 REG(PWR_BASE + 0x80u)

#define FLASH_ACR REG(0x40022000u)

#define GPIOC_BASE 0x48000800u
#define GPIOG_BASE 0x48001800u
#define GPIO_MODER(base) REG((base) + 0x00u)
#define GPIO_OSPEEDR(base) REG((base) + 0x08u)
#define GPIO_BSRR(base) REG((base) + 0x18u)
#define GPIO_AFRL(base) REG((base) + 0x20u)
#define GPIO_AFRH(base) REG((base) + 0x24u)

#define LPUART1_BASE 0x40008000u
#define LPUART_CR1 REG(LPUART1_BASE + 0x00u)
#define LPUART_BRR REG(LPUART1_BASE + 0x0Cu)
#define LPUART_ISR REG(LPUART1_BASE + 0x1Cu)
#define LPUART_RDR REG(LPUART1_BASE + 0x24u)
#define LPUART_TDR REG(LPUART1_BASE + 0x28u)

#define UART_BAUD 115200u
#define AF8_LPUART1 8u

static const uint32_t kPinNumbers[BOARD_PIN_COUNT] = {8u, 9u, 10u};

const struct board_info board_info = {
    .name = BOARD_NAME,
    .core = "cortex-m4",
    .clock_hz = BOARD_CLOCK_HZ,
};

static void clock_init(void) {
  RCC_APB1ENR1 |= 1u << 28;                     /* PWREN */
  PWR_CR1 = (PWR_CR1 & ~(3u << 9)) | (1u << 9); /* VOS = range 1 */
  while (PWR_SR2 & (1u << 10)) {                /* VOSF */
  }
#if STM32L4_BOOST
  /* Above 80 MHz: range 1 boost (R1MODE = 0), entered with HCLK halved. */
  RCC_CFGR = (RCC_CFGR & ~(0xFu << 4)) | (0x8u << 4); /* HPRE = /2 */
  PWR_CR5 &= ~(1u << 8);                              /* R1MODE = 0: boost */
#endif
  FLASH_ACR = (FLASH_ACR & ~0xFu) | STM32L4_FLASH_WAIT_STATES;
  while ((FLASH_ACR & 0xFu) != STM32L4_FLASH_WAIT_STATES) {
  }

  RCC_PLLCFGR = (1u << 0)             /* PLLSRC = MSI */
                | (0u << 4)           /* PLLM = 1 */
                | (STM32L4_PLLN << 8) /* VCO = 4 MHz * N */
                | (0u << 25)          /* PLLR = 2 */
                | (1u << 24);         /* PLLREN */
  RCC_CR |= 1u << 24;                 /* PLLON */
  while (!(RCC_CR & (1u << 25))) {
  }
  RCC_CFGR = (RCC_CFGR & ~3u) | 3u; /* SW = PLL */
  while (((RCC_CFGR >> 2) & 3u) != 3u) {
  }
#if STM32L4_BOOST
  /* Wait at least 1 us at the halved clock before full speed. */
  for (volatile uint32_t i = 0; i < 100u; ++i) {
  }
  RCC_CFGR &= ~(0xFu << 4); /* HPRE = /1 */
#endif
}

static void uart_init(void) {
  PWR_CR2 |= 1u << 9;      /* IOSV: VDDIO2 valid, port G usable */
  RCC_AHB2ENR |= 1u << 6;  /* GPIOGEN */
  RCC_APB1ENR2 |= 1u << 0; /* LPUART1EN */
  /* PG7 and PG8 in alternate function 8. */
  GPIO_MODER(GPIOG_BASE) =
      (GPIO_MODER(GPIOG_BASE) & ~((3u << 14) | (3u << 16))) | (2u << 14) | (2u << 16);
  GPIO_AFRL(GPIOG_BASE) = (GPIO_AFRL(GPIOG_BASE) & ~(0xFu << 28)) | (AF8_LPUART1 << 28);
  GPIO_AFRH(GPIOG_BASE) = (GPIO_AFRH(GPIOG_BASE) & ~0xFu) | AF8_LPUART1;
  /* LPUART: BRR = 256 * f_ck / baud, with f_ck = PCLK1 = HCLK. */
  LPUART_BRR = (uint32_t)((256ull * BOARD_CLOCK_HZ + UART_BAUD / 2u) / UART_BAUD);
  LPUART_CR1 = (1u << 3) | (1u << 2) | (1u << 0); /* TE, RE, UE */
}

static void pins_init(void) {
  RCC_AHB2ENR |= 1u << 2; /* GPIOCEN */
  for (int pin = 0; pin < BOARD_PIN_COUNT; ++pin) {
    uint32_t n = kPinNumbers[pin];
    GPIO_MODER(GPIOC_BASE) = (GPIO_MODER(GPIOC_BASE) & ~(3u << (2u * n))) | (1u << (2u * n));
    GPIO_OSPEEDR(GPIOC_BASE) |= 3u << (2u * n); /* very high speed: sharp edges */
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
    while (!(LPUART_ISR & (1u << 7))) { /* TXE */
    }
    LPUART_TDR = (uint8_t)data[i];
  }
}

int board_uart_read_byte(void) {
  if (!(LPUART_ISR & (1u << 5))) return -1; /* RXNE */
  return (int)(LPUART_RDR & 0xFFu);
}

void board_pin_write(enum board_pin pin, int level) {
  uint32_t bit = 1u << kPinNumbers[pin];
  GPIO_BSRR(GPIOC_BASE) = level ? bit : bit << 16;
}
