#include "hil/measure/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace hil::measure {
namespace {

std::string Format(const char* format, auto... values) {
  char text[200];
  std::snprintf(text, sizeof text, format, values...);
  return text;
}

double MedianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return QuantileOfSorted(values, 0.5);
}

}  // namespace

CaseFigures Summarize(std::span<const Window> windows, const Baseline& baseline,
                      const SummaryOptions& options) {
  CaseFigures figures;
  figures.baseline = baseline;
  const double per = static_cast<double>(std::max<size_t>(options.inferences_per_window, 1));
  std::vector<double> latency, energy, net, power;
  std::vector<uint64_t> used_index;
  std::vector<std::vector<double>> layer_latency, layer_energy;
  size_t seen = 0;
  for (const Window& window : windows) {
    if (window.kind != options.kind) continue;
    ++figures.windows;
    if (seen++ < options.warmup_windows) {
      ++figures.warmup;
      continue;
    }
    std::vector<std::string> problems = window.problems;
    if (window.valid() && options.min_window_s > 0 && window.duration_s < options.min_window_s) {
      figures.problems.push_back(Format("window %llu lasted %.3f s, under the %.3g s minimum",
                                        static_cast<unsigned long long>(window.index),
                                        window.duration_s, options.min_window_s));
    }
    if (!problems.empty()) {
      figures.invalid.push_back(InvalidWindow{window.index, std::move(problems)});
      continue;
    }
    latency.push_back(window.duration_s / per * 1e6);
    energy.push_back(window.energy_j / per * 1e6);
    power.push_back(window.power_w() * 1e3);
    if (baseline.available()) {
      net.push_back((window.energy_j - baseline.power_w * window.duration_s) / per * 1e6);
    }
    used_index.push_back(window.index);
    figures.max_layer_sum_error_pct =
        std::max(figures.max_layer_sum_error_pct, window.layer_sum_error_pct);
    if (!window.layer_problem.empty()) {
      ++figures.layers_unresolved;
      continue;
    }
    if (window.layers.size() > layer_latency.size()) {
      layer_latency.resize(window.layers.size());
      layer_energy.resize(window.layers.size());
    }
    for (size_t l = 0; l < window.layers.size(); ++l) {
      layer_latency[l].push_back(window.layers[l].duration_s * 1e6);
      layer_energy[l].push_back(window.layers[l].energy_j * 1e6);
    }
  }
  figures.used = latency.size();
  figures.latency_us = Describe(latency);
  figures.energy_uj = Describe(energy);
  figures.net_energy_uj = Describe(net);
  figures.power_mw = Describe(power);
  for (size_t l = 0; l < layer_latency.size(); ++l) {
    figures.layers.push_back(
        LayerFigures{l, Describe(layer_latency[l]), Describe(layer_energy[l])});
  }
  for (const auto& [values, name] :
       {std::pair{&latency, "latency_us"}, std::pair{&energy, "energy_uJ"}}) {
    for (size_t i : TukeyOutliers(*values, options.outlier_iqr_k)) {
      figures.outliers.push_back(Outlier{used_index[i], name, (*values)[i]});
    }
  }
  if (figures.windows == 0) {
    figures.problems.push_back("no " + std::string(ToText(options.kind)) +
                               " windows were seen: check the trigger wiring");
  } else if (figures.used == 0) {
    figures.problems.push_back(Format("none of the %zu %s windows is valid", figures.windows,
                                      ToText(options.kind).data()));
  }
  if (options.mlperf) {
    const size_t want = options.mlperf_windows;
    if (figures.used < want) {
      figures.problems.push_back(
          Format("MLPerf mode needs %zu valid windows, %zu were measured", want, figures.used));
    }
    const size_t take = std::min(want, figures.used);
    if (take > 0) {
      figures.mlperf_latency_us =
          MedianOf(std::vector<double>(latency.begin(), latency.begin() + take));
      figures.mlperf_energy_uj =
          MedianOf(std::vector<double>(energy.begin(), energy.begin() + take));
    } else {
      figures.mlperf_latency_us = figures.mlperf_energy_uj =
          std::numeric_limits<double>::quiet_NaN();
    }
  }
  return figures;
}

}  // namespace hil::measure
