#include "commands.h"

#include <stdint.h>
#include <string.h>

#include "board.h"
#include "device_test.h"
#include "inference.h"
#include "output.h"
#include "workload.h"

#ifndef HARNESS_DB_CAPACITY
#define HARNESS_DB_CAPACITY 32768u
#endif
#ifndef HARNESS_BUILD_FLAGS
#define HARNESS_BUILD_FLAGS "unknown"
#endif
/* Bumped whenever a reply format changes, so hosts can check. */
#define HARNESS_PROTOCOL_VERSION "1"
/* MLPerf Tiny sends at most 31 data bytes per "db" command. */
#define DB_PRINT_BYTES_PER_LINE 16u
#define DURATIONS_PER_LINE 16u

static struct {
  uint8_t bytes[HARNESS_DB_CAPACITY];
  uint32_t expected; /* from "db load N" */
  uint32_t loaded;
} db;

static enum window_style window_style;
static int inference_has_run;
static struct inference_report report;

void commands_init(void) {
  db.expected = 0;
  db.loaded = 0;
#ifdef HARNESS_ENERGY_MODE
  window_style = WINDOW_TIMESTAMP;
#else
  window_style = WINDOW_PER_INFERENCE;
#endif
  inference_has_run = 0;
}

/* Parses a decimal number without sign; returns 0 on anything else. */
static int parse_u32(const char *text, uint32_t *value) {
  if (*text == '\0') return 0;
  uint64_t result = 0;
  for (; *text != '\0'; ++text) {
    if (*text < '0' || *text > '9') return 0;
    result = result * 10u + (uint64_t)(*text - '0');
    if (result > 0xFFFFFFFFu) return 0;
  }
  *value = (uint32_t)result;
  return 1;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static const char *window_style_name(enum window_style style) {
  return style == WINDOW_TIMESTAMP ? "timestamp" : "per-inference";
}

static void print_bracketed(const char *prefix, const char *value) {
  out_text(prefix);
  out_text("[");
  out_text(value);
  out_line("]");
}

static void print_results(void) {
  out_text("m-results-[");
  for (uint32_t i = 0; i < the_workload.output_count; ++i) {
    if (i != 0) out_text(",");
    out_float3(the_workload.output(i));
  }
  out_line("]");
  if (the_workload.output_raw == 0) return;
  out_text("m-hil-raw-[");
  for (uint32_t i = 0; i < the_workload.output_count; ++i) {
    if (i != 0) out_text(",");
    out_i32(the_workload.output_raw(i));
  }
  out_line("]");
}

static void command_name(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  out_text("m-name-dut-[hil-");
  out_text(board_info.name);
  out_line("]");
}

static void command_profile(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  out_line("m-profile-[ulp-mlperf]");
  print_bracketed("m-model-", the_workload.model_id);
}

static void command_help(char **tokens, size_t count);

static void db_load(uint32_t size) {
  if (size > HARNESS_DB_CAPACITY) {
    out_text("e-[db load: ");
    out_u32(size);
    out_text(" bytes exceeds the buffer of ");
    out_u32(HARNESS_DB_CAPACITY);
    out_line(" bytes]");
    return;
  }
  db.expected = size;
  db.loaded = 0;
  out_text("m-[Expecting ");
  out_u32(size);
  out_line(" bytes]");
}

static void db_append_hex(const char *hex) {
  size_t digits = strlen(hex);
  if (db.loaded >= db.expected) {
    out_error("db: no load in progress; send db load N first");
    return;
  }
  if (digits % 2u != 0u) {
    out_error_quoting("db: odd number of hex digits in ", hex);
    return;
  }
  if (db.loaded + digits / 2u > db.expected) {
    out_error("db: more bytes than announced by db load");
    return;
  }
  for (size_t i = 0; i < digits; i += 2) {
    int high = hex_value(hex[i]);
    int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      out_error_quoting("db: not hex: ", hex);
      return;
    }
  }
  for (size_t i = 0; i < digits; i += 2) {
    db.bytes[db.loaded++] = (uint8_t)(hex_value(hex[i]) << 4 | hex_value(hex[i + 1]));
  }
  if (db.loaded == db.expected) out_line("m-load-done");
}

static void db_print(void) {
  /* EEMBC style: bytes as 0xNN joined by '-', a line per 16 bytes. */
  for (uint32_t i = 0; i < db.loaded; i += DB_PRINT_BYTES_PER_LINE) {
    out_text("m-buffer-");
    for (uint32_t j = i; j < db.loaded && j < i + DB_PRINT_BYTES_PER_LINE; ++j) {
      if (j != i) out_text("-");
      out_text("0x");
      out_hex_byte(db.bytes[j]);
    }
    out_end_line();
  }
}

static void command_db(char **tokens, size_t count) {
  if (count < 2) {
    out_error("db: expected 'db load N', 'db HEX' or 'db print'");
    return;
  }
  if (strcmp(tokens[1], "load") == 0) {
    uint32_t size;
    if (count != 3 || !parse_u32(tokens[2], &size)) {
      out_error("db load: expected a byte count, e.g. 'db load 490'");
      return;
    }
    db_load(size);
  } else if (strcmp(tokens[1], "print") == 0) {
    db_print();
  } else {
    db_append_hex(tokens[1]);
  }
}

static void print_inference_report(void) {
  out_text("m-lap-us-");
  out_u64(report.lap_start_us);
  out_end_line();
  out_text("m-lap-us-");
  out_u64(report.lap_end_us);
  out_end_line();
  for (uint32_t i = 0; i < report.recorded; i += DURATIONS_PER_LINE) {
    out_text("m-hil-inference-us-[");
    for (uint32_t j = i; j < report.recorded && j < i + DURATIONS_PER_LINE; ++j) {
      if (j != i) out_text(",");
      out_u32(report.durations_us[j]);
    }
    out_line("]");
  }
}

static void command_infer(char **tokens, size_t count) {
  uint32_t inferences = 1, warmups = 0;
  if ((count >= 2 && !parse_u32(tokens[1], &inferences)) ||
      (count >= 3 && !parse_u32(tokens[2], &warmups)) || count > 3 || inferences == 0) {
    out_error("infer: expected 'infer N [W]' with N >= 1 inferences and W warm-ups");
    return;
  }
  the_workload.set_input(db.bytes, db.loaded);

  out_text("m-warmup-start-");
  out_u32(warmups);
  out_end_line();
  inference_warmup(warmups);
  out_line("m-warmup-done");

  out_text("m-infer-start-");
  out_u32(inferences);
  out_end_line();
  inference_measure(inferences, window_style, &report);
  inference_has_run = 1;
  print_inference_report();
  out_line("m-infer-done");
  print_results();
}

static void command_results(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  if (!inference_has_run) {
    out_error("results: no inference has run yet");
    return;
  }
  print_results();
}

static void command_timestamp(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  if (window_style == WINDOW_TIMESTAMP) {
    inference_timestamp_pulse();
  } else {
    out_text("m-lap-us-");
    out_u64(board_time_us());
    out_end_line();
  }
}

static void command_info(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  print_bracketed("m-hil-info-protocol-", HARNESS_PROTOCOL_VERSION);
  print_bracketed("m-hil-info-board-", board_info.name);
  print_bracketed("m-hil-info-core-", board_info.core);
  out_text("m-hil-info-clock-hz-[");
  out_u32(board_info.clock_hz);
  out_line("]");
  print_bracketed("m-hil-info-workload-", the_workload.model_id);
  print_bracketed("m-hil-info-kernels-", the_workload.kernels);
  print_bracketed("m-hil-info-build-", HARNESS_BUILD_FLAGS);
  print_bracketed("m-hil-info-window-", window_style_name(window_style));
  out_text("m-hil-info-db-capacity-[");
  out_u32(HARNESS_DB_CAPACITY);
  out_line("]");
  out_text("m-hil-info-input-bytes-[");
  out_u32(the_workload.input_bytes);
  out_line("]");
  if (the_workload.arena_used != 0) {
    out_text("m-hil-info-arena-bytes-[");
    out_u32(the_workload.arena_used());
    out_line("]");
  }
}

static void command_layers(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  out_text("m-layer-count-[");
  out_u32(the_workload.layer_count);
  out_line("]");
  for (uint32_t layer = 0; layer < the_workload.layer_count; ++layer) {
    out_text("m-layer-[");
    out_u32(layer);
    out_text(",");
    out_text(the_workload.layer_op(layer));
    out_text(",");
    out_u32(the_workload.layer_macs(layer));
    out_line("]");
  }
}

static void command_window(char **tokens, size_t count) {
  if (count == 2 && strcmp(tokens[1], "per-inference") == 0) {
    window_style = WINDOW_PER_INFERENCE;
  } else if (count == 2 && strcmp(tokens[1], "timestamp") == 0) {
    window_style = WINDOW_TIMESTAMP;
  } else if (count != 1) {
    out_error("hil-window: expected 'hil-window per-inference' or 'hil-window timestamp'");
    return;
  }
  print_bracketed("m-hil-window-", window_style_name(window_style));
}

static void command_fault(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  /* A permanently undefined instruction: the UsageFault path, so hosts can
   * check that they tell a crashed DUT from a hung or silent one. */
  __asm__ volatile("udf #0");
}

static void command_tests(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  device_tests_list();
}

static void command_test(char **tokens, size_t count) {
  uint32_t index = 0;
  if (count != 2 || !parse_u32(tokens[1], &index)) {
    out_error("hil-test: expected 'hil-test N' (hil-tests lists them)");
    return;
  }
  device_tests_run(index);
}

struct command {
  const char *name;
  void (*run)(char **tokens, size_t count);
  const char *help;
};

static const struct command kCommands[] = {
    {"name", command_name, "name        : print the DUT name"},
    {"profile", command_profile, "profile     : print the benchmark profile and model"},
    {"help", command_help, "help        : print this list"},
    {"db", command_db, "db load N   : expect N bytes; db HEX: append bytes; db print: show them"},
    {"infer", command_infer, "infer N [W] : W warm-ups, then N measured inferences on the buffer"},
    {"results", command_results, "results     : print the outputs of the last inference"},
    {"timestamp", command_timestamp,
     "timestamp   : print m-lap-us (per-inference) or pulse the pin"},
    {"hil-info", command_info, "hil-info    : board, core, clock, workload, kernels, build flags"},
    {"layers", command_layers, "layers      : layer count, op and MACs of each layer"},
    {"hil-window", command_window,
     "hil-window [per-inference|timestamp] : show or choose the window style"},
    {"hil-fault", command_fault,
     "hil-fault   : crash on purpose (tests the host's fault handling)"},
    {"hil-tests", command_tests, "hil-tests   : list the on-device test cases"},
    {"hil-test", command_test, "hil-test N  : run on-device test case N"},
};

static void command_help(char **tokens, size_t count) {
  (void)tokens;
  (void)count;
  for (size_t i = 0; i < sizeof(kCommands) / sizeof(kCommands[0]); ++i) out_line(kCommands[i].help);
}

void commands_execute(char **tokens, size_t count) {
  if (count == 0) return; /* A bare '%' only asks for m-ready: hosts resync with it. */
  for (size_t i = 0; i < sizeof(kCommands) / sizeof(kCommands[0]); ++i) {
    if (strcmp(tokens[0], kCommands[i].name) == 0) {
      kCommands[i].run(tokens, count);
      return;
    }
  }
  out_error_quoting("unknown command: ", tokens[0]);
}
