// Checks that can fail a figure: the firmware's own timer against the
// measured latency, and on the virtual bench, the emulator's ground truth
// against the measured energy and latency. A window that fails gets the
// reason among its problems; the returned summary goes into the report.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/measure/windows.h"

namespace hil::measure {

struct LatencyCrossCheck {
  size_t compared = 0;
  double max_error_pct = 0;           // |measured - firmware| / firmware
  std::vector<std::string> problems;  // case-level (counts that do not match)
};

struct CrossCheckOptions {
  double tolerance_pct = 1.0;
  // Beyond the percentage, the measurement may differ by one sample period
  // (each edge is known to half a sample) plus the timer's resolution.
  double sample_rate_hz = 0;
  double timer_resolution_us = 1.0;
};

// Compares the inference windows, in order, with the per-inference
// durations the firmware timed itself (m-hil-inference-us).
LatencyCrossCheck CrossCheckLatency(std::span<Window> windows, std::span<const double> firmware_us,
                                    const CrossCheckOptions& options);

// One window as the emulator's energy model saw it (truth.jsonl).
struct TruthWindow {
  WindowKind kind = WindowKind::kInference;
  uint64_t index = 0;
  double duration_s = 0;
  double energy_j = 0;
  uint64_t instructions = 0;
  std::vector<LayerSpan> layers;
};

// Reads the virtual bench's truth.jsonl. Errors: infrastructure (missing or
// malformed: the emulator wrote it).
Result<std::vector<TruthWindow>> ReadGroundTruth(const std::string& path);

struct TruthCheckOptions {
  // Energy may differ by one sample period of the window's power (each
  // edge is placed to half a sample) plus this.
  double energy_tolerance_pct = 0.5;
  // Latency may differ by one sample period plus this.
  double latency_tolerance_pct = 0.1;
  double sample_rate_hz = 0;
};

struct TruthCheck {
  size_t compared = 0;
  double max_energy_error_pct = 0, max_latency_error_pct = 0;
  double mean_latency_s = 0, mean_energy_j = 0;  // of the truth windows compared
  double mean_instructions = 0;
  std::vector<std::string> problems;
};

// Matches windows and truth of the same kind in order.
TruthCheck CompareWithGroundTruth(std::span<Window> windows, std::span<const TruthWindow> truth,
                                  const TruthCheckOptions& options);

}  // namespace hil::measure
