#include "output.h"

#include <string.h>

#include "board.h"

void out_text(const char *text) { board_uart_write(text, strlen(text)); }

void out_u64(uint64_t value) {
  char digits[21];
  int i = (int)sizeof(digits);
  do {
    digits[--i] = (char)('0' + (int)(value % 10u));
    value /= 10u;
  } while (value != 0u);
  board_uart_write(&digits[i], sizeof(digits) - (size_t)i);
}

void out_u32(uint32_t value) { out_u64(value); }

void out_i32(int32_t value) {
  if (value < 0) {
    out_text("-");
    out_u64((uint64_t)(-(int64_t)value));
  } else {
    out_u64((uint64_t)value);
  }
}

void out_float3(float value) {
  /* Round to thousandths in integer arithmetic; printf is not linked. */
  int negative = value < 0.0f;
  float magnitude = negative ? -value : value;
  uint64_t milli = (uint64_t)(magnitude * 1000.0f + 0.5f);
  if (negative && milli != 0u) out_text("-");
  out_u64(milli / 1000u);
  char fraction[5] = {'.', (char)('0' + (int)(milli / 100u % 10u)),
                      (char)('0' + (int)(milli / 10u % 10u)), (char)('0' + (int)(milli % 10u)),
                      '\0'};
  out_text(fraction);
}

void out_hex_byte(uint8_t value) {
  static const char kHex[] = "0123456789abcdef";
  char text[2] = {kHex[value >> 4], kHex[value & 0xFu]};
  board_uart_write(text, 2);
}

void out_end_line(void) { board_uart_write("\r\n", 2); }

void out_line(const char *text) {
  out_text(text);
  out_end_line();
}

void out_ready(void) { out_line("m-ready"); }

void out_error(const char *text) {
  out_text("e-[");
  out_text(text);
  out_line("]");
}

void out_error_quoting(const char *prefix, const char *token) {
  out_text("e-[");
  out_text(prefix);
  out_text(token);
  out_line("]");
}
