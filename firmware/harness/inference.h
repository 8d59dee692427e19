/* Runs measured inferences with the trigger pins the host watches. */
#ifndef HIL_INFERENCE_H
#define HIL_INFERENCE_H

#include <stdint.h>

/* How the host delimits measurement windows. */
enum window_style {
  /* Inference pin high during each inference, layer pin toggling between
   * layers: per-inference and per-layer figures. The default. */
  WINDOW_PER_INFERENCE = 0,
  /* MLPerf Tiny energy mode: one timestamp pulse before and one after the N
   * inferences, nothing else; the host divides by N. */
  WINDOW_TIMESTAMP = 1,
};

/* The inference pin stays low at least this long between inferences: five
 * samples of a 100 kHz probe, so every window is seen as its own. */
#define INFERENCE_GAP_US 50u

/* Per-inference durations kept for reporting; longer runs report only the
 * first ones (and the window laps still cover every inference). */
#define INFERENCE_MAX_RECORDED 256

struct inference_report {
  uint64_t lap_start_us;
  uint64_t lap_end_us;
  uint32_t recorded;
  uint32_t durations_us[INFERENCE_MAX_RECORDED];
};

/* Runs count inferences without any pin activity (warm-up). */
void inference_warmup(uint32_t count);

/* Restarts the timer's period, then runs count inferences
 * inside a measured window of the given style. No UART output happens in
 * here. */
void inference_measure(uint32_t count, enum window_style style, struct inference_report *report);

/* The MLPerf timestamp pulse: falling edge, held low at least 1 us. */
void inference_timestamp_pulse(void);

#endif
