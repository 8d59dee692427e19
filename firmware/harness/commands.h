/* The command set of the DUT harness: MLPerf Tiny's plus hil's extensions.
 * firmware/PROTOCOL.md documents every command and reply. */
#ifndef HIL_COMMANDS_H
#define HIL_COMMANDS_H

#include <stddef.h>

/* Resets the harness state (database buffer, window style). */
void commands_init(void);

/* Executes one command given as tokens, printing its reply lines but not the
 * closing m-ready. */
void commands_execute(char **tokens, size_t count);

#endif
