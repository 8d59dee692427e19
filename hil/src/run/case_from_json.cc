// A case read back from results.json's shape (results.db keeps each case so)
// into the CaseResult that wrote it. The file may be hostile: every key is
// checked for its type, every count is bounded, and nothing throws.
#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <string_view>

#include "hil/measure/figures_json.h"
#include "hil/run/results_json.h"

namespace hil::run {
namespace {

using Json = nlohmann::ordered_json;

// More layers than any network hil runs has; an index past it is not kept.
constexpr uint64_t kMostLayers = 100000;

const Json& At(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  const auto found = object.find(key);
  return found == object.end() ? kNull : *found;
}

std::string Text(const Json& json) { return json.is_string() ? json.get<std::string>() : ""; }

double Number(const Json& json, double otherwise = std::numeric_limits<double>::quiet_NaN()) {
  return json.is_number() ? json.get<double>() : otherwise;
}

// A count: a whole number from 0 up, else 0.
uint64_t Count(const Json& json) {
  if (json.is_number_unsigned()) return json.get<uint64_t>();
  if (json.is_number_integer())
    return static_cast<uint64_t>(std::max<int64_t>(0, json.get<int64_t>()));
  if (json.is_number_float()) {
    const double value = json.get<double>();
    return value >= 0 && value < 1.8e19 ? static_cast<uint64_t>(value) : 0;
  }
  return 0;
}

bool Flag(const Json& json) { return json.is_boolean() && json.get<bool>(); }

std::vector<std::string> Texts(const Json& json) {
  std::vector<std::string> texts;
  if (json.is_array()) {
    for (const Json& item : json)
      if (item.is_string()) texts.push_back(item.get<std::string>());
  }
  return texts;
}

std::vector<double> Numbers(const Json& json) {
  std::vector<double> numbers;
  if (json.is_array()) {
    for (const Json& item : json) numbers.push_back(Number(item));
  }
  return numbers;
}

// [a, b] as a pair, or nothing.
std::optional<std::pair<double, double>> Span(const Json& json) {
  if (!json.is_array() || json.size() != 2) return std::nullopt;
  return std::pair{Number(json[0]), Number(json[1])};
}

// results.json keeps the idle power in mW; p with p * 1e3 == mw exactly,
// so the case writes back the figure it was read with.
double WattsOf(double mw) {
  double watts = mw / 1e3;
  for (int step = 0; step < 4 && watts * 1e3 != mw; ++step)
    watts = std::nextafter(watts, watts * 1e3 < mw ? INFINITY : -INFINITY);
  return watts;
}

// "window 7: too short" as written for an invalid window: its index and
// the problem; nothing for a problem of the case as a whole.
std::optional<std::pair<uint64_t, std::string>> WindowProblem(std::string_view text) {
  constexpr std::string_view kPrefix = "window ";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  uint64_t window = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), window);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view rest(end, text.data() + text.size() - end);
  if (rest.substr(0, 2) != ": ") return std::nullopt;
  return std::pair{window, std::string(rest.substr(2))};
}

void ReadFigures(const Json& c, CaseResult& r) {
  measure::CaseFigures& f = r.figures;
  f.latency_us = measure::StatsFromJson(At(c, "latency_us"));
  f.energy_uj = measure::StatsFromJson(At(c, "energy_uJ"));
  f.net_energy_uj = measure::StatsFromJson(At(c, "net_energy_uJ"));
  f.power_mw = measure::StatsFromJson(At(c, "power_mW"));
  if (const Json& layers = At(c, "layers"); layers.is_array()) {
    for (const Json& l : layers) {
      if (!l.is_object()) continue;
      const uint64_t index = Count(At(l, "index"));
      if (index >= kMostLayers) continue;
      f.layers.push_back({static_cast<size_t>(index), measure::StatsFromJson(At(l, "latency_us")),
                          measure::StatsFromJson(At(l, "energy_uJ"))});
      if (r.layer_ops.size() <= index) r.layer_ops.resize(index + 1);
      r.layer_ops[index] = Text(At(l, "op"));
    }
  }
  const Json& windows = At(c, "windows");
  f.windows = Count(At(windows, "seen"));
  f.used = Count(At(windows, "used"));
  f.warmup = Count(At(windows, "warmup"));
  f.layers_unresolved = Count(At(windows, "layers_unresolved"));
  // An invalid window's problems were written one by one after the case's.
  for (const std::string& problem : Texts(At(c, "problems"))) {
    const auto of_window = WindowProblem(problem);
    if (!of_window) {
      f.problems.push_back(problem);
    } else if (!f.invalid.empty() && f.invalid.back().window == of_window->first) {
      f.invalid.back().problems.push_back(of_window->second);
    } else {
      f.invalid.push_back({of_window->first, {of_window->second}});
    }
  }
  if (const Json& idle = At(c, "baseline_power_mW"); idle.is_number()) {
    f.baseline.power_w = WattsOf(idle.get<double>());
    f.baseline.seconds = 1;  // not kept: any duration marks the idle power as measured
  }
  const Json& mlperf = At(c, "mlperf");
  if (mlperf.is_object()) {
    f.mlperf_latency_us = Number(At(mlperf, "latency_us"));
    f.mlperf_energy_uj = Number(At(mlperf, "energy_uJ"));
  }
  if (const Json& rate = At(mlperf, "sample_rate_hz"); rate.is_number()) {
    ImportedSession session;
    session.sample_rate_hz = rate.get<double>();
    if (const Json& runner = At(mlperf, "runner_energy_uJ"); runner.is_number())
      session.runner_energy_uj = runner.get<double>();
    if (const Json& listed = At(mlperf, "windows"); listed.is_array()) {
      for (const Json& w : listed) {
        if (!w.is_object()) continue;
        session.windows.push_back(
            {Number(At(w, "begin_s"), 0), Number(At(w, "end_s"), 0),
             static_cast<uint32_t>(std::min<uint64_t>(Count(At(w, "inferences")), UINT32_MAX)),
             Number(At(w, "energy_uJ"), 0)});
      }
    }
    r.imported = std::move(session);
  }
}

void ReadVerification(const Json& c, CaseResult& r) {
  const Json& v = At(c, "verification");
  Verification& out = r.verification;
  if (const Json& match = At(v, "outputs_match"); match.is_boolean())
    out.outputs_match = match.get<bool>();
  if (const Json& compared = At(v, "outputs_compared"); compared.is_string())
    out.outputs_compared = compared.get<std::string>();
  out.max_output_error = Number(At(v, "max_output_error"), 0);
  out.samples_lost = Count(At(v, "samples_lost"));
  out.layer_sum_error_pct = Number(At(v, "layer_sum_error_pct"), 0);
  out.latency_crosscheck_error_pct = Number(At(v, "latency_crosscheck_error_pct"), 0);
  if (const Json& truth = At(v, "ground_truth"); truth.is_object()) {
    out.has_ground_truth = true;
    out.truth_latency_us = Number(At(truth, "latency_us"), 0);
    out.truth_energy_uj = Number(At(truth, "energy_uJ"), 0);
    out.truth_instructions = Number(At(truth, "instructions"), 0);
    out.truth_latency_error_pct = Number(At(truth, "latency_error_pct"), 0);
    out.truth_energy_error_pct = Number(At(truth, "energy_error_pct"), 0);
  }
  if (const Json& d = At(c, "dataset"); d.is_object()) {
    DatasetResult dataset;
    dataset.inputs = Count(At(d, "inputs"));
    if (const Json& metric = At(d, "metric"); metric.is_string())
      dataset.metric = metric.get<std::string>();
    if (const auto auc = d.find("auc"); auc != d.end()) {
      dataset.auc = Number(*auc);
    } else {
      // The count that gives the fraction written, within a rounding.
      const double top1 = Number(At(d, "top1_accuracy"), 0);
      const double correct = std::round(top1 * static_cast<double>(dataset.inputs));
      dataset.correct =
          correct > 0 ? std::min<size_t>(static_cast<size_t>(correct), dataset.inputs) : 0;
    }
    dataset.matched = Count(At(d, "outputs_matching_reference"));
    dataset.first_mismatch = Text(At(d, "first_mismatch"));
    r.dataset = std::move(dataset);
  }
  if (const Json& judged = At(c, "expectations"); judged.is_array()) {
    for (const Json& e : judged) {
      if (!e.is_object()) continue;
      r.expectations.push_back(
          {Text(At(e, "what")), Flag(At(e, "ok")), Flag(At(e, "skipped")), Text(At(e, "detail"))});
    }
  }
}

void ReadTrace(const Json& c, CaseResult& r) {
  const Json& trace = At(c, "trace");
  if (!trace.is_object()) return;
  TraceSnippet& t = r.trace;
  t.time_s = Numbers(At(trace, "time_s"));
  t.current_ma = Numbers(At(trace, "current_mA"));
  // A plot needs a current for every time.
  t.current_ma.resize(t.time_s.size(), 0);
  if (const auto window = Span(At(trace, "window_s"))) {
    t.window_start_s = window->first;
    t.window_end_s = window->second;
  }
  t.boundaries_s = Numbers(At(trace, "layer_edges_s"));
  if (const Json& windows = At(trace, "windows_s"); windows.is_array()) {
    for (const Json& w : windows)
      if (const auto span = Span(w)) t.windows_s.push_back(*span);
  }
}

}  // namespace

CaseResult CaseFromJson(const Json& c) {
  CaseResult r;
  r.id = Text(At(c, "id"));
  r.network = Text(At(c, "network"));
  r.configuration = Text(At(c, "configuration"));
  r.board = Text(At(c, "board"));
  r.kernels = Text(At(c, "kernels"));
  r.model_id = Text(At(c, "model_id"));
  r.status = FromText<CaseStatus>(Text(At(c, "status"))).value_or(CaseStatus::kError);
  r.error = Text(At(c, "error"));
  r.failures = Texts(At(c, "failures"));
  ReadFigures(c, r);
  const Json& firmware = At(c, "firmware");
  r.firmware.text_bytes = Count(At(firmware, "text_bytes"));
  r.firmware.data_bytes = Count(At(firmware, "data_bytes"));
  r.firmware.bss_bytes = Count(At(firmware, "bss_bytes"));
  r.arena_bytes =
      static_cast<uint32_t>(std::min<uint64_t>(Count(At(firmware, "arena_bytes")), UINT32_MAX));
  r.firmware.sha256 = Text(At(firmware, "sha256"));
  r.firmware.elf = Text(At(firmware, "elf"));
  ReadVerification(c, r);
  for (double value : Numbers(At(c, "outputs"))) r.outputs.push_back(static_cast<float>(value));
  ReadTrace(c, r);
  r.attempts = static_cast<int>(std::min<uint64_t>(Count(At(c, "attempts")), INT32_MAX));
  r.seconds = Number(At(c, "seconds"), 0);
  r.started = Text(At(c, "started"));
  return r;
}

}  // namespace hil::run
