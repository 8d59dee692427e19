/* The DUT harness: boots, announces itself, then serves commands forever. */
#include "board.h"
#include "commands.h"
#include "framing.h"
#include "output.h"
#include "workload.h"

#define MAX_TOKENS 8

/* Called by the fault handlers of the startup code. The host sees the line,
 * then QEMU exits with status 3 (hardware boards halt). */
void fault_report(const char *what) {
  out_error_quoting("fault: ", what);
  board_exit(3);
}

int main(void) {
  static struct framer framer;
  framer_reset(&framer);
  commands_init();
  the_workload.init();

#ifdef HARNESS_ENERGY_MODE
  out_line("m-timestamp-mode-energy");
#else
  out_line("m-timestamp-mode-performance");
#endif
  out_line("m-init-done");
  out_ready();

  for (;;) {
    int byte = board_uart_read_byte();
    if (byte < 0) continue;
    switch (framer_push(&framer, (char)byte)) {
      case FRAMER_NONE:
        break;
      case FRAMER_TOO_LONG:
        out_error("command too long: at most 80 bytes before '%'");
        out_ready();
        break;
      case FRAMER_COMMAND: {
        char *tokens[MAX_TOKENS];
        size_t count = framer_tokenize(framer.command, tokens, MAX_TOKENS);
        commands_execute(tokens, count);
        out_ready();
        break;
      }
    }
  }
}
