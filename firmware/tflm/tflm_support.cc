// What TFLM expects its platform to provide, the harness's way: the log
// (kept for fault reports rather than written to the UART, where it would
// break the host protocol), a microsecond clock, and the C++ runtime hooks
// of a program without heap or exceptions.
#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/micro/debug_log.h"
#include "tensorflow/lite/micro/micro_time.h"

extern "C" {
#include "board.h"
void fault_report(const char *what);
}

namespace {

char last_message[160];

// Appends to a bounded buffer; the count is what a full print would need.
struct Sink {
  char *buffer;
  size_t size;
  size_t length = 0;
  void Put(char c) {
    if (length + 1 < size) buffer[length] = c;
    ++length;
  }
  void Text(const char *text) {
    for (; *text != '\0'; ++text) Put(*text);
  }
  void Unsigned(unsigned long long value, unsigned base) {
    char digits[24];
    int count = 0;
    do {
      digits[count++] = "0123456789abcdef"[value % base];
      value /= base;
    } while (value != 0);
    while (count > 0) Put(digits[--count]);
  }
};

// The conversions TFLM's messages use (%d %i %u %x %s %c %p %f %%, with l,
// ll, z and h sizes); widths and flags are skipped. No vsnprintf: newlib's
// pulls in malloc.
int Format(char *buffer, size_t size, const char *format, va_list args) {
  Sink sink{buffer, size};
  for (; *format != '\0'; ++format) {
    if (*format != '%') {
      sink.Put(*format);
      continue;
    }
    ++format;
    while (*format == '-' || *format == '+' || *format == ' ' || *format == '0' || *format == '#' ||
           (*format >= '1' && *format <= '9') || *format == '.') {
      ++format;
    }
    int longs = 0;
    bool size_t_arg = false;
    for (;; ++format) {
      if (*format == 'l') {
        ++longs;
      } else if (*format == 'z') {
        size_t_arg = true;
      } else if (*format != 'h') {
        break;
      }
    }
    switch (*format) {
      case 'd':
      case 'i': {
        long long value = longs >= 2   ? va_arg(args, long long)
                          : longs == 1 ? va_arg(args, long)
                                       : va_arg(args, int);
        if (value < 0) {
          sink.Put('-');
          value = -value;
        }
        sink.Unsigned(static_cast<unsigned long long>(value), 10);
        break;
      }
      case 'u':
      case 'x': {
        unsigned long long value = size_t_arg   ? va_arg(args, size_t)
                                   : longs >= 2 ? va_arg(args, unsigned long long)
                                   : longs == 1 ? va_arg(args, unsigned long)
                                                : va_arg(args, unsigned);
        sink.Unsigned(value, *format == 'x' ? 16 : 10);
        break;
      }
      case 'p':
        sink.Text("0x");
        sink.Unsigned(reinterpret_cast<uintptr_t>(va_arg(args, void *)), 16);
        break;
      case 's': {
        const char *text = va_arg(args, const char *);
        sink.Text(text != nullptr ? text : "(null)");
        break;
      }
      case 'c':
        sink.Put(static_cast<char>(va_arg(args, int)));
        break;
      case 'f': {
        double value = va_arg(args, double);
        if (value < 0) {
          sink.Put('-');
          value = -value;
        }
        const auto whole = static_cast<unsigned long long>(value);
        sink.Unsigned(whole, 10);
        sink.Put('.');
        const auto thousandths = static_cast<unsigned long long>((value - whole) * 1000.0);
        if (thousandths < 100) sink.Put('0');
        if (thousandths < 10) sink.Put('0');
        sink.Unsigned(thousandths, 10);
        break;
      }
      case '\0':
        --format;  // a lone '%' at the end
        break;
      default:
        sink.Put(*format);
        break;
    }
  }
  if (size != 0) buffer[sink.length < size ? sink.length : size - 1] = '\0';
  return static_cast<int>(sink.length);
}

}  // namespace

const char *tflm_last_message() { return last_message; }

extern "C" void DebugLog(const char *format, va_list args) {
  Format(last_message, sizeof last_message, format, args);
}

extern "C" int DebugVsnprintf(char *buffer, size_t size, const char *format, va_list args) {
  return Format(buffer, size, format, args);
}

namespace tflite {
uint32_t ticks_per_second() { return 1000000u; }
uint32_t GetCurrentTimeTicks() { return static_cast<uint32_t>(board_time_us()); }
}  // namespace tflite

// Nothing is ever deleted (the interpreter lives for the whole run); these
// keep libstdc++'s heap-backed versions, and malloc, out of the image.
void operator delete(void *) noexcept {}
void operator delete(void *, size_t) noexcept {}
extern "C" void __cxa_pure_virtual() { fault_report("tflm: pure virtual call"); }
