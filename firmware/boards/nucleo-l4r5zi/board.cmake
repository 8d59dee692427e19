# ST NUCLEO-L4R5ZI: STM32L4R5ZI, Cortex-M4F at 120 MHz, the MLPerf Tiny
# reference board. Built for real hardware; not emulated.
set(BOARD_KIND stm32l4)
set(BOARD_CORE cortex-m4)
set(BOARD_CPU_FLAGS -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16)
set(BOARD_CLOCK_HZ 120000000)
set(BOARD_UART_BASE "")
set(BOARD_IRQ_COUNT 95)
# 4 MHz MSI * 60 / 2; range 1 boost; 5 wait states (RM0432).
set(BOARD_DEFINES STM32L4_PLLN=60u STM32L4_FLASH_WAIT_STATES=5u STM32L4_BOOST=1)
