#include "emulated_pins.h"

struct pin_words {
  volatile uint32_t set;
  volatile uint32_t clear;
};

__attribute__((section(".hil_pins"), used)) struct pin_words hil_pins[BOARD_PIN_COUNT];

/* Never inlined: the virtual bench watches stores only inside this function
 * (found by its symbol), so the pin words must be written nowhere else. */
__attribute__((noinline)) void emulated_pins_write(enum board_pin pin, int level) {
  if (level) {
    hil_pins[pin].set = 1;
  } else {
    hil_pins[pin].clear = 1;
  }
}
