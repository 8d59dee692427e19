# Arm MPS3 with the AN547 image: Cortex-M55 with MVE at 32 MHz (QEMU mps3-an547).
set(BOARD_KIND mps)
set(BOARD_CORE cortex-m55)
set(BOARD_CPU_FLAGS -mcpu=cortex-m55 -mfloat-abi=hard)
set(BOARD_CLOCK_HZ 32000000)
set(BOARD_UART_BASE 0x49303000)
set(BOARD_IRQ_COUNT 96)
set(BOARD_QEMU_MACHINE mps3-an547)
