#include "hil/measure/verification.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace hil::measure {
namespace {

std::string Format(const char* format, auto... values) {
  char text[240];
  std::snprintf(text, sizeof text, format, values...);
  return text;
}

}  // namespace

LatencyCrossCheck CrossCheckLatency(std::span<Window> windows, std::span<const double> firmware_us,
                                    const CrossCheckOptions& options) {
  LatencyCrossCheck check;
  const double slack_us = 1e6 / options.sample_rate_hz + options.timer_resolution_us;
  size_t next = 0;
  size_t measured = 0;
  for (Window& window : windows) {
    if (window.kind != WindowKind::kInference) continue;
    ++measured;
    if (next >= firmware_us.size()) continue;
    const double firmware = firmware_us[next++];
    if (!std::isfinite(window.duration_s)) continue;
    const double us = window.duration_s * 1e6;
    const double error = std::abs(us - firmware);
    ++check.compared;
    if (firmware > 0) check.max_error_pct = std::max(check.max_error_pct, 100 * error / firmware);
    if (error > firmware * options.tolerance_pct / 100 + slack_us) {
      window.problems.push_back(
          Format("latency %.1f us disagrees with the firmware's timer, %.1f us (beyond %g %% + "
                 "%.1f us)",
                 us, firmware, options.tolerance_pct, slack_us));
    }
  }
  if (measured != firmware_us.size()) {
    check.problems.push_back(
        Format("%zu inference windows were measured but the firmware timed %zu "
               "inferences: trigger edges were missed or extra",
               measured, firmware_us.size()));
  }
  return check;
}

Result<std::vector<TruthWindow>> ReadGroundTruth(const std::string& path) {
  std::ifstream file(path);
  if (!file) return InfrastructureError("cannot read the ground truth " + path);
  std::vector<TruthWindow> truth;
  std::string line;
  size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      const nlohmann::json record = nlohmann::json::parse(line);
      TruthWindow window;
      const std::string kind = record.at("kind").get<std::string>();
      window.kind = kind == "timestamp" ? WindowKind::kTimestamp : WindowKind::kInference;
      window.index = record.at("index").get<uint64_t>();
      window.duration_s = record.at("duration_ns").get<double>() * 1e-9;
      window.energy_j = record.at("energy_nJ").get<double>() * 1e-9;
      window.instructions = record.value("instructions", uint64_t{0});
      if (record.contains("layers")) {
        for (const auto& layer : record["layers"]) {
          window.layers.push_back(LayerSpan{layer.at("duration_ns").get<double>() * 1e-9,
                                            layer.at("energy_nJ").get<double>() * 1e-9});
        }
      }
      truth.push_back(std::move(window));
    } catch (const nlohmann::json::exception& error) {
      return InfrastructureError(path + ":" + std::to_string(number) +
                                 ": malformed ground-truth record: " + error.what());
    }
  }
  return truth;
}

TruthCheck CompareWithGroundTruth(std::span<Window> windows, std::span<const TruthWindow> truth,
                                  const TruthCheckOptions& options) {
  TruthCheck check;
  const double period_s = 1 / options.sample_rate_hz;
  for (WindowKind kind : {WindowKind::kInference, WindowKind::kTimestamp}) {
    std::vector<Window*> measured;
    std::vector<const TruthWindow*> expected;
    for (Window& window : windows) {
      if (window.kind == kind) measured.push_back(&window);
    }
    for (const TruthWindow& window : truth) {
      if (window.kind == kind) expected.push_back(&window);
    }
    if (measured.size() != expected.size()) {
      check.problems.push_back(Format("%zu %s windows were measured, the emulator saw %zu",
                                      measured.size(), ToText(kind).data(), expected.size()));
    }
    const size_t n = std::min(measured.size(), expected.size());
    for (size_t i = 0; i < n; ++i) {
      Window& window = *measured[i];
      const TruthWindow& t = *expected[i];
      if (!std::isfinite(window.energy_j) || !std::isfinite(window.duration_s)) continue;
      ++check.compared;
      check.mean_latency_s += t.duration_s;
      check.mean_energy_j += t.energy_j;
      check.mean_instructions += static_cast<double>(t.instructions);
      const double energy_error = 100 * std::abs(window.energy_j - t.energy_j) / t.energy_j;
      const double latency_error = std::abs(window.duration_s - t.duration_s);
      check.max_energy_error_pct = std::max(check.max_energy_error_pct, energy_error);
      check.max_latency_error_pct =
          std::max(check.max_latency_error_pct, 100 * latency_error / t.duration_s);
      // Each edge is known to half a sample, so a window may gain or lose
      // up to a sample period of energy whatever its length.
      const double edge_j = window.power_w() * period_s;
      const double allowed_pct = options.energy_tolerance_pct + 100 * edge_j / t.energy_j;
      if (energy_error > allowed_pct) {
        window.problems.push_back(Format(
            "energy %.4f uJ is %.3f %% off the emulator's ground truth %.4f uJ (tolerance %g %% "
            "+ one sample of energy, %.3f %% in all)",
            window.energy_j * 1e6, energy_error, t.energy_j * 1e6, options.energy_tolerance_pct,
            allowed_pct));
      }
      if (latency_error > period_s + t.duration_s * options.latency_tolerance_pct / 100) {
        window.problems.push_back(Format(
            "latency %.2f us is %.2f us off the emulator's ground truth %.2f us (tolerance one "
            "sample + %g %%)",
            window.duration_s * 1e6, latency_error * 1e6, t.duration_s * 1e6,
            options.latency_tolerance_pct));
      }
    }
  }
  if (check.compared > 0) {
    check.mean_latency_s /= static_cast<double>(check.compared);
    check.mean_energy_j /= static_cast<double>(check.compared);
    check.mean_instructions /= static_cast<double>(check.compared);
  }
  return check;
}

}  // namespace hil::measure
