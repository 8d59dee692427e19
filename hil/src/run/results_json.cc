#include "hil/run/results_json.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "hil/measure/figures_json.h"

namespace hil::run {

std::string NowIso8601(bool with_milliseconds) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string iso = text;
  if (with_milliseconds) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::snprintf(text, sizeof text, ".%03d", static_cast<int>(ms));
    iso += text;
  }
  return iso + "Z";
}

nlohmann::ordered_json BenchJson(const plan::Plan& plan) {
  nlohmann::ordered_json bench;
  bench["kind"] = ToText(plan.bench.kind);
  bench["flasher"] = ToText(plan.bench.flasher);
  bench["probe"] = plan.bench.probe.kind;
  if (!plan.bench.probe.connect.empty()) bench["connect"] = plan.bench.probe.connect;
  bench["supply_mV"] = plan.bench.supply_mv;
  bench["triggers"] = {{"inference", plan.bench.inference.input},
                       {"layer", plan.bench.layer.input},
                       {"timestamp", plan.bench.timestamp.input}};
  return bench;
}

std::vector<std::string> CaseNotes(const CaseResult& c) {
  std::vector<std::string> notes = c.failures;
  if (notes.empty() && !c.error.empty()) notes.push_back(c.error);
  for (const ExpectationResult& e : c.expectations) {
    if (e.skipped) notes.push_back("skipped: " + e.what + " (" + e.detail + ")");
  }
  const size_t used = c.figures.used, unresolved = c.figures.layers_unresolved;
  if (unresolved > 0 && unresolved >= used) {
    notes.push_back("no per-layer figures: no inference resolved every layer edge (" +
                    std::to_string(unresolved) + " of " + std::to_string(used) + ")");
  } else if (unresolved > 0) {
    notes.push_back("per-layer figures from " + std::to_string(used - unresolved) + " of " +
                    std::to_string(used) + " inferences (the others did not resolve every " +
                    "layer edge)");
  }
  return notes;
}

std::string AccuracyText(const CaseResult& c) {
  if (!c.dataset) return "";
  char text[32];
  if (c.dataset->auc) {
    if (!std::isfinite(*c.dataset->auc)) return "AUC n/a";
    std::snprintf(text, sizeof text, "AUC %.4f", *c.dataset->auc);
  } else {
    std::snprintf(text, sizeof text, "%.1f %%", 100 * c.dataset->top1());
  }
  return text;
}

uint64_t FlashBytes(const CaseResult& c) { return c.firmware.text_bytes + c.firmware.data_bytes; }

uint64_t RamBytes(const CaseResult& c) { return c.firmware.data_bytes + c.firmware.bss_bytes; }

std::string BenchText(const nlohmann::ordered_json& bench, const char* key) {
  const auto found = bench.find(key);
  return found != bench.end() && found->is_string() ? found->get<std::string>() : std::string();
}

bool EmulatedTime(const nlohmann::ordered_json& bench) {
  return FromText<BenchKind>(BenchText(bench, "kind")) == BenchKind::kVirtual;
}

const char* const kEmulatedTimeNote =
    "virtual bench: latencies are emulated time (QEMU -icount, every instruction 32 ns on "
    "every board), so they compare instruction counts, not silicon";

namespace {

// An imported session's headline, with what EnergyRunner recorded: its
// rate, the runner's own figure and how far ours is from it, and the windows.
nlohmann::ordered_json ImportedJson(const measure::CaseFigures& figures,
                                    const ImportedSession& session) {
  nlohmann::ordered_json mlperf = {{"energy_uJ", measure::NumberJson(figures.mlperf_energy_uj)},
                                   {"latency_us", measure::NumberJson(figures.mlperf_latency_us)},
                                   {"sample_rate_hz", session.sample_rate_hz}};
  if (session.runner_energy_uj) {
    const double runner = *session.runner_energy_uj;
    mlperf["runner_energy_uJ"] = runner;
    mlperf["difference_pct"] =
        measure::NumberJson((figures.mlperf_energy_uj - runner) / runner * 100);
  }
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (const ImportedSession::Window& w : session.windows) {
    windows.push_back({{"begin_s", w.begin_s},
                       {"end_s", w.end_s},
                       {"inferences", w.inferences},
                       {"energy_uJ", w.energy_uj}});
  }
  mlperf["windows"] = windows;
  return mlperf;
}

}  // namespace

nlohmann::ordered_json CaseJson(const CaseResult& r) {
  nlohmann::ordered_json json;
  json["id"] = r.id;
  json["network"] = r.network;
  json["configuration"] = r.configuration;
  json["board"] = r.board;
  json["kernels"] = r.kernels;
  json["model_id"] = r.model_id;
  json["status"] = ToText(r.status);
  json["error"] =
      r.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error);
  if (!r.failures.empty()) json["failures"] = r.failures;
  json["latency_us"] = measure::StatsJson(r.figures.latency_us);
  json["energy_uJ"] = measure::StatsJson(r.figures.energy_uj);
  json["power_mW"] = measure::StatsJson(r.figures.power_mw);
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const measure::LayerFigures& layer : r.figures.layers) {
    layers.push_back({{"index", layer.index},
                      {"op", layer.index < r.layer_ops.size() ? r.layer_ops[layer.index] : ""},
                      {"latency_us", measure::StatsJson(layer.latency_us)},
                      {"energy_uJ", measure::StatsJson(layer.energy_uj)}});
  }
  json["layers"] = layers;
  json["firmware"] = {{"text_bytes", r.firmware.text_bytes}, {"data_bytes", r.firmware.data_bytes},
                      {"bss_bytes", r.firmware.bss_bytes},   {"arena_bytes", r.arena_bytes},
                      {"sha256", r.firmware.sha256},         {"elf", r.firmware.elf}};
  const Verification& v = r.verification;
  nlohmann::ordered_json verification;
  verification["outputs_match"] =
      v.outputs_match ? nlohmann::ordered_json(*v.outputs_match) : nlohmann::ordered_json(nullptr);
  verification["outputs_compared"] = v.outputs_compared;
  verification["max_output_error"] = v.max_output_error;
  verification["samples_lost"] = v.samples_lost;
  verification["layer_sum_error_pct"] = v.layer_sum_error_pct;
  verification["latency_crosscheck_error_pct"] = v.latency_crosscheck_error_pct;
  verification["ground_truth"] =
      v.has_ground_truth ? nlohmann::ordered_json{{"latency_us", v.truth_latency_us},
                                                  {"energy_uJ", v.truth_energy_uj},
                                                  {"instructions", v.truth_instructions},
                                                  {"latency_error_pct", v.truth_latency_error_pct},
                                                  {"energy_error_pct", v.truth_energy_error_pct}}
                         : nlohmann::ordered_json(nullptr);
  json["verification"] = verification;
  if (r.dataset) {
    // A classifier's figure is top1_accuracy, an autoencoder's auc (null
    // when not finite).
    json["dataset"] = {{"inputs", r.dataset->inputs}, {"metric", r.dataset->metric}};
    if (r.dataset->auc) {
      json["dataset"]["auc"] = std::isfinite(*r.dataset->auc)
                                   ? nlohmann::ordered_json(*r.dataset->auc)
                                   : nlohmann::ordered_json(nullptr);
    } else {
      json["dataset"]["top1_accuracy"] = r.dataset->top1();
    }
    json["dataset"].update(nlohmann::ordered_json{
        {"outputs_matching_reference", r.dataset->matched},
        {"first_mismatch", r.dataset->first_mismatch.empty()
                               ? nlohmann::ordered_json(nullptr)
                               : nlohmann::ordered_json(r.dataset->first_mismatch)}});
  }
  nlohmann::ordered_json expectations = nlohmann::ordered_json::array();
  for (const ExpectationResult& e : r.expectations) {
    nlohmann::ordered_json judged = {{"what", e.what}, {"ok", e.ok}};
    if (e.skipped) judged["skipped"] = true;
    judged["detail"] = e.detail;
    expectations.push_back(judged);
  }
  json["expectations"] = expectations;
  // Beyond the contract: what a person or a report needs next.
  json["net_energy_uJ"] = measure::StatsJson(r.figures.net_energy_uj);
  json["baseline_power_mW"] = r.figures.baseline.available()
                                  ? measure::NumberJson(r.figures.baseline.power_w * 1e3)
                                  : nullptr;
  json["windows"] = measure::WindowCountsJson(r.figures);
  if (r.imported) {
    json["mlperf"] = ImportedJson(r.figures, *r.imported);
  } else if (r.figures.mlperf_latency_us != 0 || r.figures.mlperf_energy_uj != 0) {
    // MLPerf's headline: medians over its five windows.
    json["mlperf"] = {{"latency_us", measure::NumberJson(r.figures.mlperf_latency_us)},
                      {"energy_uJ", measure::NumberJson(r.figures.mlperf_energy_uj)}};
  }
  nlohmann::ordered_json problems = r.figures.problems;
  for (const measure::InvalidWindow& w : r.figures.invalid) {
    for (const std::string& p : w.problems)
      problems.push_back("window " + std::to_string(w.window) + ": " + p);
  }
  json["problems"] = problems;
  nlohmann::ordered_json outputs = nlohmann::ordered_json::array();
  for (float value : r.outputs) outputs.push_back(value);
  json["outputs"] = outputs;
  if (!r.trace.empty()) {
    json["trace"] = {{"time_s", r.trace.time_s},
                     {"current_mA", r.trace.current_ma},
                     {"window_s", {r.trace.window_start_s, r.trace.window_end_s}},
                     {"layer_edges_s", r.trace.boundaries_s}};
    if (!r.trace.windows_s.empty()) json["trace"]["windows_s"] = r.trace.windows_s;
  }
  json["attempts"] = r.attempts;
  json["seconds"] = r.seconds;
  json["started"] = r.started;
  return json;
}

}  // namespace hil::run
