# Arm MPS2 with the AN500 image: Cortex-M7 with double-precision FPU at 25 MHz
# (QEMU mps2-an500).
set(BOARD_KIND mps)
set(BOARD_CORE cortex-m7)
set(BOARD_CPU_FLAGS -mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16)
set(BOARD_CLOCK_HZ 25000000)
set(BOARD_UART_BASE 0x40004000)
set(BOARD_IRQ_COUNT 48)
set(BOARD_QEMU_MACHINE mps2-an500)
