#include "framing.h"

void framer_reset(struct framer *framer) {
  framer->length = 0;
  framer->overflowed = 0;
  framer->command[0] = '\0';
}

enum framer_event framer_push(struct framer *framer, char byte) {
  if (byte == '%') {
    enum framer_event event = framer->overflowed ? FRAMER_TOO_LONG : FRAMER_COMMAND;
    framer->command[framer->length] = '\0';
    framer->length = 0;
    framer->overflowed = 0;
    return event;
  }
  if (byte == '\r' || byte == '\n') return FRAMER_NONE;
  if (framer->length == FRAMER_MAX_COMMAND) {
    framer->overflowed = 1;
    return FRAMER_NONE;
  }
  framer->command[framer->length++] = byte;
  return FRAMER_NONE;
}

size_t framer_tokenize(char *command, char **tokens, size_t max_tokens) {
  size_t count = 0;
  char *cursor = command;
  while (*cursor != '\0' && count < max_tokens) {
    while (*cursor == ' ') ++cursor;
    if (*cursor == '\0') break;
    tokens[count++] = cursor;
    if (count == max_tokens) break;
    while (*cursor != '\0' && *cursor != ' ') ++cursor;
    if (*cursor == ' ') *cursor++ = '\0';
  }
  return count;
}
