/* Splits the UART byte stream into MLPerf Tiny commands.
 *
 * A command ends with '%'. Carriage returns and line feeds are ignored so a
 * person can type commands in a terminal. A command longer than
 * FRAMER_MAX_COMMAND bytes is reported as too long when its '%' arrives, and
 * the framer starts clean after it. This file does no I/O, so the host's unit
 * tests compile it as it is. */
#ifndef HIL_FRAMING_H
#define HIL_FRAMING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The MLPerf Tiny runner never sends more than 80 bytes per command. */
#define FRAMER_MAX_COMMAND 80

enum framer_event {
  FRAMER_NONE = 0,     /* byte consumed, no command yet */
  FRAMER_COMMAND = 1,  /* framer->command holds a complete command */
  FRAMER_TOO_LONG = 2, /* a command overflowed; it was discarded */
};

struct framer {
  char command[FRAMER_MAX_COMMAND + 1]; /* NUL-terminated, without '%' */
  size_t length;
  int overflowed;
};

void framer_reset(struct framer *framer);

/* Feeds one byte. After FRAMER_COMMAND the command stays valid until the next
 * call. */
enum framer_event framer_push(struct framer *framer, char byte);

/* Splits framer->command in place at spaces. Returns the number of tokens
 * stored in tokens (at most max_tokens; extra tokens are left joined to the
 * last one). */
size_t framer_tokenize(char *command, char **tokens, size_t max_tokens);

#ifdef __cplusplus
}
#endif

#endif
