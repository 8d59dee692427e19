// The sections of a plan that say how to measure and what to check: the
// measurement, the verification and the expectations.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "plan_reader.h"

namespace hil::plan::reading {

namespace {

const std::vector<std::string> kFigures = {"latency_us", "energy_uJ", "net_energy_uJ", "power_mW"};
const std::vector<std::string> kStats = {"n", "mean", "median", "std", "min", "max", "p95"};

}  // namespace

void ReadMeasurement(Reader& reader, const YAML::Node& node, Measurement& m) {
  if (!reader.Mapping(node, "measurement",
                      {"warmup", "runs", "windows", "window", "min_window_s", "mlperf", "guard_us",
                       "min_pulse_us"}))
    return;
  reader.Count<uint32_t>(node, "warmup", "measurement", m.warmup, 0, 10000);
  reader.Count<uint32_t>(node, "runs", "measurement", m.runs, 1, 1000000);
  reader.Count<uint32_t>(node, "windows", "measurement", m.windows, 1, 100);
  reader.Enum(node, "window", "measurement", m.window);
  reader.Number(node, "min_window_s", "measurement", m.min_window_s, 0);
  reader.Flag(node, "mlperf", "measurement", m.mlperf);
  if (m.window == measure::WindowKind::kInference) {
    if (m.runs > kMaxInferenceWindows && node["runs"]) {
      reader.Problem(node["runs"], "measurement.runs is " + std::to_string(m.runs) +
                                       "; per-inference windows take at most " +
                                       std::to_string(kMaxInferenceWindows) +
                                       " (the harness times each); window: timestamp windows "
                                       "hold up to 1000000 inferences each");
    }
    if (node["windows"]) {
      reader.Problem(node["windows"],
                     "measurement.windows counts timestamp windows; with window: inference every "
                     "inference is a window (set runs)");
    }
  }
  if (m.mlperf) {
    // MLPerf Tiny's energy mode: five windows of at least 10 s, the median.
    if (m.window != measure::WindowKind::kTimestamp) {
      reader.Problem(node["mlperf"],
                     "measurement.mlperf runs MLPerf Tiny's energy mode, which measures between "
                     "timestamp pulses: add window: timestamp");
    }
    if (!node["windows"]) m.windows = 5;
    if (!node["min_window_s"]) m.min_window_s = 10;
  }
  reader.Number(node, "guard_us", "measurement", m.guard_us, 0);
  reader.Number(node, "min_pulse_us", "measurement", m.min_pulse_us, 0);
}

void ReadVerification(Reader& reader, const YAML::Node& node, Verification& v) {
  if (!reader.Mapping(node, "verification",
                      {"ground_truth_energy_pct", "ground_truth_latency_pct", "firmware_timer_pct",
                       "layer_sum_pct"}))
    return;
  reader.Number(node, "ground_truth_energy_pct", "verification", v.ground_truth_energy_pct, 0);
  reader.Number(node, "ground_truth_latency_pct", "verification", v.ground_truth_latency_pct, 0);
  reader.Number(node, "firmware_timer_pct", "verification", v.firmware_timer_pct, 0);
  reader.Number(node, "layer_sum_pct", "verification", v.layer_sum_pct, 0);
}

// "latency_us.median < 30000" or "energy_uJ.median within 5 % of baseline".
void ReadExpectation(Reader& reader, const YAML::Node& node, std::vector<Expectation>& out) {
  Expectation e;
  if (!reader.Scalar(node, "an expectation", e.text)) return;
  e.at = At(node);
  std::istringstream words(e.text);
  std::string metric, op, value, rest;
  words >> metric >> op >> value;
  std::getline(words, rest);
  const auto usage = [&](const std::string& why) {
    reader.Problem(node, "expectation " + Quote(e.text) + ": " + why +
                             "; write FIGURE.STAT OP NUMBER (latency_us.median < 30000) or "
                             "FIGURE.STAT within N % of baseline");
  };
  const size_t dot = metric.find('.');
  if (dot == std::string::npos) return usage("no FIGURE.STAT");
  const std::string figure = metric.substr(0, dot), stat = metric.substr(dot + 1);
  if (std::find(kFigures.begin(), kFigures.end(), figure) == kFigures.end()) {
    const std::string guess = DidYouMean(figure, kFigures);
    return usage(
        "unknown figure " + Quote(figure) +
        (guess.empty() ? " (" + Join(kFigures) + ")" : ", did you mean " + Quote(guess) + "?"));
  }
  if (std::find(kStats.begin(), kStats.end(), stat) == kStats.end()) {
    const std::string guess = DidYouMean(stat, kStats);
    return usage(
        "unknown statistic " + Quote(stat) +
        (guess.empty() ? " (" + Join(kStats) + ")" : ", did you mean " + Quote(guess) + "?"));
  }
  e.metric = metric;
  if (op == "within") {
    std::string trimmed = value;
    if (!trimmed.empty() && trimmed.back() == '%') trimmed.pop_back();
    const auto [end, error] =
        std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), e.value);
    rest.erase(0, rest.find_first_not_of(' '));
    if (error != std::errc() || end != trimmed.data() + trimmed.size() || !(e.value > 0) ||
        (rest != "% of baseline" && rest != "of baseline")) {
      return usage("a relative expectation reads 'within 5 % of baseline'");
    }
    e.op = op;
    e.baseline = true;
  } else if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), e.value);
    if (error != std::errc() || end != value.data() + value.size() || !rest.empty()) {
      return usage("the threshold must be one number");
    }
    e.op = op;
  } else {
    return usage("unknown comparison " + Quote(op));
  }
  out.push_back(e);
}

}  // namespace hil::plan::reading
