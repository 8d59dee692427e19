#include "hil/measure/figures_json.h"

#include <cmath>
#include <limits>

namespace hil::measure {
nlohmann::ordered_json NumberJson(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

Stats StatsFromJson(const nlohmann::ordered_json& json) {
  Stats stats;
  if (!json.is_object()) return stats;
  const auto number = [&](const char* key) {
    return json.contains(key) && json[key].is_number() ? json[key].get<double>()
                                                       : std::numeric_limits<double>::quiet_NaN();
  };
  // A count from a file that may say anything: whole and not negative, else 0.
  if (json.contains("n") && (json["n"].is_number_unsigned() ||
                             (json["n"].is_number_integer() && json["n"].get<int64_t>() > 0))) {
    stats.n = json["n"].get<size_t>();
  }
  stats.mean = number("mean"), stats.median = number("median"), stats.std = number("std");
  stats.min = number("min"), stats.max = number("max"), stats.p95 = number("p95");
  if (json.contains("ci95") && json["ci95"].is_array() && json["ci95"].size() == 2) {
    const auto& ci = json["ci95"];
    if (ci[0].is_number()) stats.ci95_low = ci[0].get<double>();
    if (ci[1].is_number()) stats.ci95_high = ci[1].get<double>();
  }
  return stats;
}

nlohmann::ordered_json WindowCountsJson(const CaseFigures& figures) {
  return {{"seen", figures.windows},
          {"used", figures.used},
          {"warmup", figures.warmup},
          {"invalid", figures.invalid.size()},
          {"layers_unresolved", figures.layers_unresolved}};
}

nlohmann::ordered_json StatsJson(const Stats& stats) {
  nlohmann::ordered_json json;
  json["n"] = stats.n;
  json["mean"] = NumberJson(stats.mean);
  json["median"] = NumberJson(stats.median);
  json["std"] = NumberJson(stats.std);
  json["min"] = NumberJson(stats.min);
  json["max"] = NumberJson(stats.max);
  json["p95"] = NumberJson(stats.p95);
  json["ci95"] = {NumberJson(stats.ci95_low), NumberJson(stats.ci95_high)};
  return json;
}

nlohmann::ordered_json WindowJson(const Window& window) {
  nlohmann::ordered_json json;
  json["kind"] = ToText(window.kind);
  json["index"] = window.index;
  json["start_s"] = NumberJson(window.start_s);
  json["duration_us"] = NumberJson(window.duration_s * 1e6);
  json["energy_uJ"] = NumberJson(window.energy_j * 1e6);
  json["lost_samples"] = window.lost_samples;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerSpan& layer : window.layers) {
    layers.push_back({{"duration_us", NumberJson(layer.duration_s * 1e6)},
                      {"energy_uJ", NumberJson(layer.energy_j * 1e6)}});
  }
  json["layers"] = layers;
  json["valid"] = window.valid();
  if (!window.layer_problem.empty()) json["layer_problem"] = window.layer_problem;
  json["problems"] = window.problems;
  return json;
}

nlohmann::ordered_json CaseFiguresJson(const CaseFigures& figures) {
  nlohmann::ordered_json json;
  json["latency_us"] = StatsJson(figures.latency_us);
  json["energy_uJ"] = StatsJson(figures.energy_uj);
  json["net_energy_uJ"] = StatsJson(figures.net_energy_uj);
  json["power_mW"] = StatsJson(figures.power_mw);
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerFigures& layer : figures.layers) {
    layers.push_back({{"index", layer.index},
                      {"latency_us", StatsJson(layer.latency_us)},
                      {"energy_uJ", StatsJson(layer.energy_uj)}});
  }
  json["layers"] = layers;
  json["baseline"] = figures.baseline.available()
                         ? nlohmann::ordered_json{{"power_mW", figures.baseline.power_w * 1e3},
                                                  {"seconds", figures.baseline.seconds},
                                                  {"segments", figures.baseline.segments}}
                         : nlohmann::ordered_json(nullptr);
  json["windows"] = WindowCountsJson(figures);
  nlohmann::ordered_json invalid = nlohmann::ordered_json::array();
  for (const InvalidWindow& window : figures.invalid) {
    invalid.push_back({{"window", window.window}, {"problems", window.problems}});
  }
  json["invalid"] = invalid;
  nlohmann::ordered_json outliers = nlohmann::ordered_json::array();
  for (const Outlier& outlier : figures.outliers) {
    outliers.push_back(
        {{"window", outlier.window}, {"figure", outlier.figure}, {"value", outlier.value}});
  }
  json["outliers"] = outliers;
  json["layer_sum_error_pct"] = figures.max_layer_sum_error_pct;
  json["problems"] = figures.problems;
  if (figures.mlperf_latency_us != 0 || figures.mlperf_energy_uj != 0) {
    json["mlperf"] = {{"latency_us", NumberJson(figures.mlperf_latency_us)},
                      {"energy_uJ", NumberJson(figures.mlperf_energy_uj)}};
  }
  return json;
}

}  // namespace hil::measure
