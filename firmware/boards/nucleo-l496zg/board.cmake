# ST NUCLEO-L496ZG: STM32L496ZG, Cortex-M4F at 80 MHz. Built for real
# hardware; not emulated.
set(BOARD_KIND stm32l4)
set(BOARD_CORE cortex-m4)
set(BOARD_CPU_FLAGS -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16)
set(BOARD_CLOCK_HZ 80000000)
set(BOARD_UART_BASE "")
set(BOARD_IRQ_COUNT 91)
# 4 MHz MSI * 40 / 2; range 1 without boost (the L496 has none); 4 wait
# states at 80 MHz (RM0351).
set(BOARD_DEFINES STM32L4_PLLN=40u STM32L4_FLASH_WAIT_STATES=4u STM32L4_BOOST=0)
