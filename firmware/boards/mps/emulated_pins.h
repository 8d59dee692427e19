/* Trigger pins for emulated boards: one set word and one clear word per pin.
 *
 * A QEMU plugin sees which address a store hits but not the value stored, so
 * each level change is a store to its own address. The words live in the
 * .hil_pins section at the start of RAM:
 *   RAM + 8*pin + 0: store here to drive the pin high
 *   RAM + 8*pin + 4: store here to drive the pin low */
#ifndef HIL_EMULATED_PINS_H
#define HIL_EMULATED_PINS_H

#include "board.h"

/* The only code that writes the pin words; the virtual bench's plugin
 * watches stores inside this function alone, to keep its cost low. */
void emulated_pins_write(enum board_pin pin, int level);

#endif
