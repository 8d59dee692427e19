/* The ARM CMSDK APB UART of the MPS2/MPS3 FPGA images (and of QEMU). */
#ifndef HIL_CMSDK_UART_H
#define HIL_CMSDK_UART_H

#include <stddef.h>
#include <stdint.h>

void cmsdk_uart_init(uintptr_t base);
void cmsdk_uart_write(uintptr_t base, const char *data, size_t length);
int cmsdk_uart_read_byte(uintptr_t base);

#endif
