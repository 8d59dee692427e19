# ST 32F469IDISCOVERY (DISCO-F469NI): STM32F469NI, Cortex-M4F at 180 MHz.
# Built for real hardware; not emulated.
set(BOARD_KIND stm32f4f7)
set(BOARD_CORE cortex-m4)
set(BOARD_CPU_FLAGS -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16)
set(BOARD_CLOCK_HZ 180000000)
set(BOARD_UART_BASE "")
set(BOARD_IRQ_COUNT 93)
# 8 MHz crystal (HSE) / 8 * 360 / 2, over-drive on, 5 wait states (RM0386).
# APB1 at 45 MHz clocks USART3: PB10 TX, PB11 RX, the virtual COM port
# (UM1932). Trigger pins PG10, PG11, PG12 (check UM1932's header table
# before wiring: they are not verified on a board here).
set(BOARD_DEFINES
  STM32F_FAMILY=4 STM32F_HSE_BYPASS=0 STM32F_PLLM=8u STM32F_PLLN=360u STM32F_PLLQ=8u
  STM32F_FLASH_WAIT_STATES=5u STM32F_APB1_DIVIDER=4u
  STM32F_UART_BASE=0x40004800u STM32F_UART_ENABLE_BIT=18u
  STM32F_UART_PORT=1u STM32F_UART_TX=10u STM32F_UART_RX=11u STM32F_UART_AF=7u
  STM32F_TRIGGER_PORT=6u STM32F_TRIGGER_PINS=10u,11u,12u)
