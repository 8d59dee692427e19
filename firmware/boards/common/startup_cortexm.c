/* Reset handler and vector table for every Cortex-M board.
 *
 * The board's CMake target defines BOARD_IRQ_COUNT, the number of external
 * interrupt lines, so the table has an entry for each. All unused handlers
 * fall through to a fault report rather than to a silent loop. */
#include <stdint.h>
#include <string.h>

#include "board.h"

#ifndef BOARD_IRQ_COUNT
#error "BOARD_IRQ_COUNT must be defined by the board"
#endif

/* Symbols from sections.ld. */
extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end;
extern uint32_t __bss_start, __bss_end;
/* Static constructors of C++ workloads (TFLM); empty in C images. */
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

int main(void);
void Reset_Handler(void);
void fault_report(const char *what);

void Default_Handler(void) { fault_report("unexpected interrupt"); }
void HardFault_Handler(void) { fault_report("hardfault"); }
void MemManage_Handler(void) { fault_report("memmanage"); }
void BusFault_Handler(void) { fault_report("busfault"); }
void UsageFault_Handler(void) { fault_report("usagefault"); }

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void Board_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*vector_t)(void);

struct vector_table {
  uint32_t *initial_stack;
  vector_t system[15];
  vector_t external[BOARD_IRQ_COUNT];
};

__attribute__((section(".isr_vector"), used)) const struct vector_table vector_table = {
    .initial_stack = &__stack_top,
    .system =
        {
            Reset_Handler,
            NMI_Handler,
            HardFault_Handler,
            MemManage_Handler,
            BusFault_Handler,
            UsageFault_Handler,
            0,
            0,
            0,
            0, /* reserved (SecureFault on v8-M is unused here) */
            SVC_Handler,
            DebugMon_Handler,
            0,
            PendSV_Handler,
            SysTick_Handler,
        },
    .external = {[0 ... BOARD_IRQ_COUNT - 1] = Board_IRQHandler},
};

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)

void Reset_Handler(void) {
#if defined(__ARM_FP)
  /* Full access to CP10 and CP11 before any floating-point instruction. */
  SCB_CPACR |= (0xFu << 20);
  __asm__ volatile("dsb\n isb" ::: "memory");
#endif
  /* Report memory, bus and usage faults by name instead of as hardfaults. */
  SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18);

  memcpy(&__data_start, &__data_load, (size_t)((char *)&__data_end - (char *)&__data_start));
  memset(&__bss_start, 0, (size_t)((char *)&__bss_end - (char *)&__bss_start));

  board_init();
  for (void (**constructor)(void) = __init_array_start; constructor != __init_array_end;
       ++constructor) {
    (*constructor)();
  }
  board_exit(main());
}
