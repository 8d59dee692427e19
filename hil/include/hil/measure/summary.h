// A case's figures from its windows: per-inference latency, energy and power
// statistics, per-layer statistics, warm-up exclusion, outliers, and the
// MLPerf Tiny rule (median over 5 windows of at least 10 s each).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hil/measure/statistics.h"
#include "hil/measure/windows.h"

namespace hil::measure {

struct SummaryOptions {
  WindowKind kind = WindowKind::kInference;
  // The first windows of the kind, left out of the statistics (still listed).
  size_t warmup_windows = 0;
  // Inferences inside each window: 1 for inference windows, N for
  // timestamp windows. Figures are per inference.
  size_t inferences_per_window = 1;
  // Windows shorter than this are flagged (MLPerf Tiny: 10 s).
  double min_window_s = 0;
  // MLPerf Tiny mode: the headline figure is the median over this many
  // valid windows (5), and fewer is a problem.
  bool mlperf = false;
  size_t mlperf_windows = 5;
  double outlier_iqr_k = 1.5;
};

struct LayerFigures {
  size_t index = 0;
  Stats latency_us, energy_uj;
};

struct Outlier {
  uint64_t window = 0;  // Window::index
  std::string figure;   // "latency_us", "energy_uJ"
  double value = 0;
};

struct InvalidWindow {
  uint64_t window = 0;
  std::vector<std::string> problems;
};

struct CaseFigures {
  // Per inference, over valid windows after warm-up.
  Stats latency_us, energy_uj, net_energy_uj, power_mw;
  std::vector<LayerFigures> layers;
  size_t windows = 0, used = 0, warmup = 0;
  // Valid windows whose layer split could not be used (and is left out of
  // the per-layer figures).
  size_t layers_unresolved = 0;
  std::vector<InvalidWindow> invalid;
  std::vector<Outlier> outliers;
  // Problems with the case as a whole (too few windows, windows too short).
  std::vector<std::string> problems;
  // MLPerf mode: medians over the first mlperf_windows valid windows.
  double mlperf_latency_us = 0, mlperf_energy_uj = 0;
  double max_layer_sum_error_pct = 0;
  Baseline baseline;
};

CaseFigures Summarize(std::span<const Window> windows, const Baseline& baseline,
                      const SummaryOptions& options);

}  // namespace hil::measure
