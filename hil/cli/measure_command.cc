#include "measure_command.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include "hil/measure/figures_json.h"
#include "hil/measure/measurement.h"
#include "hil/measure/summary.h"
#include "hil/measure/verification.h"
#include "hil/trace_file.h"

namespace hil::cli {
namespace {

struct MeasureArguments {
  std::string trace;
  std::string style = "inference";
  std::string inference = "D0", layer = "D1", timestamp = "D2";
  double min_pulse_us = 0;
  double guard_us = 100;
  double supply_v = 0;
  size_t warmup = 0;
  size_t inferences_per_window = 1;
  size_t expected_layers = 0;
  bool mlperf = false;
  double min_window_s = 0;
  std::string truth;
  bool json = false;
  bool windows = false;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil measure: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

// "D0".."D7" (a sampled logic input) or "none".
Result<measure::TriggerWiring> Wiring(const std::string& text, const char* flag) {
  measure::TriggerWiring wiring;
  if (text == "none") return wiring;
  if (text.size() == 2 && (text[0] == 'D' || text[0] == 'd') && text[1] >= '0' && text[1] <= '7') {
    wiring.source = measure::EdgeSource::kSampled;
    wiring.line = static_cast<uint8_t>(text[1] - '0');
    return wiring;
  }
  return ConfigurationError(std::string(flag) + " " + text +
                            ": give a logic input D0..D7, or none");
}

std::string Cell(double value, const char* format = "%.3f") {
  if (!std::isfinite(value)) return "-";
  char text[40];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

void PrintStatsRow(const char* name, const measure::Stats& stats) {
  std::printf("  %-14s %6zu %12s %12s %10s %12s %12s %12s  [%s, %s]\n", name, stats.n,
              Cell(stats.mean).c_str(), Cell(stats.median).c_str(), Cell(stats.std).c_str(),
              Cell(stats.min).c_str(), Cell(stats.max).c_str(), Cell(stats.p95).c_str(),
              Cell(stats.ci95_low).c_str(), Cell(stats.ci95_high).c_str());
}

void PrintReport(const MeasureArguments& arguments, const measure::Measurement& measurement,
                 const measure::CaseFigures& figures, const measure::TruthCheck* truth) {
  const measure::MeasureCounts counts = measurement.counts();
  std::printf("%s: %llu samples, %llu lost; %zu %s windows (%zu used, %zu warm-up, %zu invalid)\n",
              arguments.trace.c_str(), static_cast<unsigned long long>(counts.samples),
              static_cast<unsigned long long>(counts.lost_samples), figures.windows,
              arguments.style.c_str(), figures.used, figures.warmup, figures.invalid.size());
  std::printf("\n  %-14s %6s %12s %12s %10s %12s %12s %12s  %s\n", "per inference", "n", "mean",
              "median", "std", "min", "max", "p95", "95% CI of the mean");
  PrintStatsRow("latency_us", figures.latency_us);
  PrintStatsRow("energy_uJ", figures.energy_uj);
  PrintStatsRow("net_energy_uJ", figures.net_energy_uj);
  PrintStatsRow("power_mW", figures.power_mw);
  if (figures.baseline.available()) {
    std::printf("\n  idle baseline %.4f mW over %.3f s in %llu stretches\n",
                figures.baseline.power_w * 1e3, figures.baseline.seconds,
                static_cast<unsigned long long>(figures.baseline.segments));
  }
  if (!figures.layers.empty()) {
    std::printf("\n  %-6s %14s %14s %14s\n", "layer", "latency_us", "energy_uJ", "share of energy");
    double total = 0;
    for (const measure::LayerFigures& layer : figures.layers) total += layer.energy_uj.median;
    for (const measure::LayerFigures& layer : figures.layers) {
      std::printf("  %-6zu %14s %14s %13s%%\n", layer.index, Cell(layer.latency_us.median).c_str(),
                  Cell(layer.energy_uj.median, "%.4f").c_str(),
                  Cell(100 * layer.energy_uj.median / total, "%.1f").c_str());
    }
    std::printf("  (medians; layers sum to the inference within %.2g %%)\n",
                figures.max_layer_sum_error_pct);
  }
  if (arguments.mlperf) {
    std::printf("\n  MLPerf: median of %s windows: %s us, %s uJ per inference\n", "5",
                Cell(figures.mlperf_latency_us).c_str(), Cell(figures.mlperf_energy_uj).c_str());
  }
  if (truth != nullptr) {
    std::printf(
        "\n  ground truth: %zu windows compared, worst energy %.4f %%, worst latency %.4f %%\n",
        truth->compared, truth->max_energy_error_pct, truth->max_latency_error_pct);
  }
  for (const measure::Outlier& outlier : figures.outliers) {
    std::printf("  outlier: window %llu %s = %.3f (kept in the statistics)\n",
                static_cast<unsigned long long>(outlier.window), outlier.figure.c_str(),
                outlier.value);
  }
  for (const measure::InvalidWindow& window : figures.invalid) {
    for (const std::string& problem : window.problems) {
      std::printf("  invalid: window %llu: %s\n", static_cast<unsigned long long>(window.window),
                  problem.c_str());
    }
  }
  for (const std::string& problem : figures.problems)
    std::printf("  problem: %s\n", problem.c_str());
}

int RunMeasure(const MeasureArguments& arguments) {
  Result<std::unique_ptr<TraceReader>> reader = TraceReader::Open(arguments.trace);
  if (!reader.ok()) return Fail(reader.error());
  measure::MeasureOptions options;
  options.sample_rate_hz = (*reader)->sample_rate_hz();
  if (arguments.supply_v > 0) options.supply_v = arguments.supply_v;
  options.guard_s = arguments.guard_us * 1e-6;
  if (arguments.expected_layers > 0) options.expected_layers = arguments.expected_layers;
  const std::pair<const std::string*, const char*> roles[] = {
      {&arguments.inference, "--inference"},
      {&arguments.layer, "--layer"},
      {&arguments.timestamp, "--timestamp"}};
  for (int r = 0; r < measure::kRoleCount; ++r) {
    Result<measure::TriggerWiring> wiring = Wiring(*roles[r].first, roles[r].second);
    if (!wiring.ok()) return Fail(wiring.error());
    options.triggers[r] = *wiring;
    options.triggers[r].min_pulse_s = arguments.min_pulse_us * 1e-6;
  }
  const bool timestamp_style = arguments.style == "timestamp";
  if (timestamp_style && options.triggers[2].source == measure::EdgeSource::kNone) {
    return Fail(ConfigurationError("--style timestamp needs the --timestamp input"));
  }
  if (!timestamp_style && options.triggers[0].source == measure::EdgeSource::kNone) {
    return Fail(ConfigurationError("--style inference needs the --inference input"));
  }
  Result<std::unique_ptr<measure::Measurement>> made = measure::Measurement::Create(options);
  if (!made.ok()) return Fail(made.error());
  measure::Measurement& measurement = **made;
  for (;;) {
    SampleBlock block;
    Result<bool> more = (*reader)->Next(block);
    if (!more.ok()) return Fail(more.error());
    if (!*more) break;
    Status fed = measurement.Feed(block);
    if (!fed.ok()) return Fail(fed.error().WithContext(arguments.trace));
  }
  measurement.Finish();

  std::optional<measure::TruthCheck> truth;
  if (!arguments.truth.empty()) {
    Result<std::vector<measure::TruthWindow>> records = measure::ReadGroundTruth(arguments.truth);
    if (!records.ok()) return Fail(ConfigurationError(records.error().message()));
    measure::TruthCheckOptions truth_options;
    truth_options.sample_rate_hz = options.sample_rate_hz;
    truth = measure::CompareWithGroundTruth(measurement.windows(), *records, truth_options);
  }
  measure::SummaryOptions summary;
  summary.kind =
      timestamp_style ? measure::WindowKind::kTimestamp : measure::WindowKind::kInference;
  summary.warmup_windows = arguments.warmup;
  summary.inferences_per_window = arguments.inferences_per_window;
  summary.mlperf = arguments.mlperf;
  summary.min_window_s =
      arguments.mlperf && arguments.min_window_s == 0 ? 10 : arguments.min_window_s;
  measure::CaseFigures figures =
      measure::Summarize(measurement.windows(), measurement.baseline(), summary);
  if (truth)
    figures.problems.insert(figures.problems.end(), truth->problems.begin(), truth->problems.end());

  if (arguments.json) {
    nlohmann::ordered_json json = measure::CaseFiguresJson(figures);
    json["samples"] = measurement.counts().samples;
    json["samples_lost"] = measurement.counts().lost_samples;
    if (truth) {
      json["ground_truth"] = {{"compared", truth->compared},
                              {"latency_us", truth->mean_latency_s * 1e6},
                              {"energy_uJ", truth->mean_energy_j * 1e6},
                              {"max_latency_error_pct", truth->max_latency_error_pct},
                              {"max_energy_error_pct", truth->max_energy_error_pct}};
    }
    if (arguments.windows) {
      nlohmann::ordered_json windows = nlohmann::ordered_json::array();
      for (const measure::Window& window : measurement.windows()) {
        windows.push_back(measure::WindowJson(window));
      }
      json["window_list"] = windows;
    }
    std::cout << json.dump(2) << "\n";
  } else {
    PrintReport(arguments, measurement, figures, truth ? &*truth : nullptr);
  }
  // The figures stand on the valid windows; without any, or with a case
  // problem, there is no figure to trust.
  return figures.used == 0 || !figures.problems.empty()
             ? ExitCodeFor(ErrorKind::kMeasurementInvalid)
             : kExitOk;
}

}  // namespace

void AddMeasureCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<MeasureArguments>();
  CLI::App* command = app.add_subcommand(
      "measure",
      "Windows, latency and energy from a binary trace (hil capture --out F.hiltrace).\n\n"
      "An inference window runs while the inference input is high and is cut into\n"
      "layers at every edge of the layer input; a timestamp window runs between two\n"
      "falling edges of the timestamp input (MLPerf Tiny energy mode). Energy is the\n"
      "integral of voltage x current (trapezoidal, edges placed between samples);\n"
      "windows with lost samples or missing edges are reported as invalid, with the\n"
      "reason, and left out of the statistics.\n\n"
      "Examples:\n"
      "  hil measure t.hiltrace\n"
      "  hil measure t.hiltrace --warmup 2 --min-pulse-us 20 --json\n"
      "  hil measure t.hiltrace --style timestamp --inferences-per-window 100 --mlperf\n\n"
      "Exit codes: 0 figures measured, 1 no valid window (or too few, too short),\n"
      "2 bad arguments or an unreadable trace.");
  command->add_option("trace", arguments->trace, "Binary trace file (.hiltrace)")->required();
  command->add_option("--style", arguments->style, "Window style")
      ->check(CLI::IsMember({"inference", "timestamp"}))
      ->capture_default_str();
  command->add_option("--inference", arguments->inference, "Inference input, D0..D7 or none")
      ->capture_default_str();
  command->add_option("--layer", arguments->layer, "Layer input, D0..D7 or none")
      ->capture_default_str();
  command->add_option("--timestamp", arguments->timestamp, "Timestamp input, D0..D7 or none")
      ->capture_default_str();
  command
      ->add_option("--min-pulse-us", arguments->min_pulse_us,
                   "Glitch filter: pulses shorter than this are ignored")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command
      ->add_option("--guard-us", arguments->guard_us,
                   "Left out of the idle baseline on each side of every window")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command
      ->add_option("--supply-v", arguments->supply_v,
                   "DUT supply voltage, instead of the trace's own")
      ->check(CLI::PositiveNumber);
  command->add_option("--warmup", arguments->warmup, "Leave out the first N windows")
      ->capture_default_str();
  command
      ->add_option("--inferences-per-window", arguments->inferences_per_window,
                   "Inferences inside each window (timestamp style)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--expected-layers", arguments->expected_layers,
                      "Layers per inference (default: what most inferences show)");
  command->add_flag("--mlperf", arguments->mlperf,
                    "MLPerf Tiny rule: median of 5 windows of at least 10 s each");
  command->add_option("--min-window-s", arguments->min_window_s,
                      "Flag windows shorter than this (10 with --mlperf)");
  command->add_option("--truth", arguments->truth,
                      "The virtual bench's truth.jsonl, to compare against");
  command->add_flag("--json", arguments->json, "Print the figures as JSON");
  command->add_flag("--windows", arguments->windows, "With --json, list every window");
  command->callback([arguments, &exit_code] { exit_code = RunMeasure(*arguments); });
}

}  // namespace hil::cli
