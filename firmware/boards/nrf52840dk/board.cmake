# Nordic nRF52840-DK: nRF52840, Cortex-M4F at 64 MHz. Built for real
# hardware; not emulated.
set(BOARD_KIND nrf52)
set(BOARD_CORE cortex-m4)
set(BOARD_CPU_FLAGS -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16)
set(BOARD_CLOCK_HZ 64000000)
set(BOARD_UART_BASE "")
set(BOARD_IRQ_COUNT 48)
