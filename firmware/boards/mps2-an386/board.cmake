# Arm MPS2 with the AN386 image: Cortex-M4 with FPU at 25 MHz (QEMU mps2-an386).
set(BOARD_KIND mps)
set(BOARD_CORE cortex-m4)
set(BOARD_CPU_FLAGS -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16)
set(BOARD_CLOCK_HZ 25000000)
set(BOARD_UART_BASE 0x40004000)
set(BOARD_IRQ_COUNT 48)
set(BOARD_QEMU_MACHINE mps2-an386)
