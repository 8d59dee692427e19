/* Line output on the UART in the MLPerf Tiny style: every line ends "\r\n". */
#ifndef HIL_OUTPUT_H
#define HIL_OUTPUT_H

#include <stdint.h>

void out_text(const char *text);
void out_u32(uint32_t value);
void out_u64(uint64_t value);
void out_i32(int32_t value);
/* Fixed-point with three decimals, as the MLPerf runner prints scores. */
void out_float3(float value);
void out_hex_byte(uint8_t value);
void out_end_line(void);

/* Common whole lines. */
void out_line(const char *text);
void out_ready(void);
/* Prints "e-[<text>]". */
void out_error(const char *text);
/* Prints "e-[<prefix><token>]" so errors can quote what was sent. */
void out_error_quoting(const char *prefix, const char *token);

#endif
