#include "inference.h"

#include "board.h"
#include "workload.h"

static int layer_pin_level;
static int marking_layers;

void inference_layer_start(uint32_t layer) {
  /* The layer pin marks boundaries between layers, not their ends: an
   * inference of L layers gives L - 1 toggles while the inference pin is
   * high, and the pin's level carries over between inferences. */
  if (marking_layers && layer != 0) {
    layer_pin_level = !layer_pin_level;
    board_pin_write(BOARD_PIN_LAYER, layer_pin_level);
  }
}

static void run_layers(int toggle_layer_pin) {
  marking_layers = toggle_layer_pin;
  if (the_workload.run_inference != 0) {
    the_workload.run_inference();
  } else {
    for (uint32_t layer = 0; layer < the_workload.layer_count; ++layer) {
      inference_layer_start(layer);
      the_workload.run_layer(layer);
    }
  }
  marking_layers = 0;
}

void inference_warmup(uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) run_layers(0);
}

/* At least one cycle per iteration, so at least `us` microseconds at the
 * core clock. A counted loop rather than the timer: its length must not
 * depend on where in a microsecond it starts, or windows that contain it
 * would differ by a loop iteration from run to run. */
static void delay_at_least_us(uint32_t us) {
  const uint32_t iterations = us * (board_info.clock_hz / 1000000u);
  for (uint32_t i = 0; i < iterations; ++i) __asm__ volatile("nop");
}

void inference_timestamp_pulse(void) {
  board_pin_write(BOARD_PIN_TIMESTAMP, 0);
  delay_at_least_us(1);
  board_pin_write(BOARD_PIN_TIMESTAMP, 1);
}

void inference_measure(uint32_t count, enum window_style style, struct inference_report *report) {
  report->recorded = 0;
  /* Restart the timer's period after every UART write (whose cost depends
   * on how fast the host reads): the period interrupt then lands at the
   * same instructions of the window in every run. */
  board_restart_timer_period();
  if (style == WINDOW_TIMESTAMP) {
    inference_timestamp_pulse();
    report->lap_start_us = board_time_us();
    for (uint32_t i = 0; i < count; ++i) run_layers(0);
    report->lap_end_us = board_time_us();
    inference_timestamp_pulse();
    return;
  }
  report->lap_start_us = board_time_us();
  for (uint32_t i = 0; i < count; ++i) {
    /* Probes latch the pin once per sample (every 10 us at 100 kHz), so
     * the pin must stay low long enough between inferences to be seen. */
    if (i != 0) delay_at_least_us(INFERENCE_GAP_US);
    uint64_t begin = board_time_us();
    board_pin_write(BOARD_PIN_INFERENCE, 1);
    run_layers(1);
    board_pin_write(BOARD_PIN_INFERENCE, 0);
    uint64_t end = board_time_us();
    if (report->recorded < INFERENCE_MAX_RECORDED) {
      report->durations_us[report->recorded++] = (uint32_t)(end - begin);
    }
  }
  report->lap_end_us = board_time_us();
}
