#include "hil/plan/plan_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "hil/boards.h"
#include "hil/did_you_mean.h"
#include "hil/model/dataset.h"
#include "hil/model/lowering.h"
#include "hil/yaml_reader.h"

namespace hil::plan {
namespace {

namespace fs = std::filesystem;

using hil::YamlReader;

std::string Quote(const std::string& text) { return YamlReader::Quote(text); }
Position At(const YAML::Node& node) { return YamlReader::At(node); }
std::string Join(const std::vector<std::string>& words) { return JoinNames(words); }
std::string Join(const std::vector<std::string>& words, size_t most) {
  return JoinSomeNames(words, most);
}

// Lists in messages name at most this many entries.
constexpr size_t kListedNames = 12;
// Unknown names in a matrix get a suggestion up to this many times; after
// that they are only listed, so a plan of thousands of misspelt names is
// validated in linear time.
constexpr size_t kSuggestedNames = 20;
// YAML reading with what only a plan has: files named relative to the
// plan's folder and confined to the policy's roots.
class Reader : public YamlReader {
 public:
  Reader(std::string path, std::string directory, const PlanPolicy& policy)
      : YamlReader(std::move(path)), directory_(std::move(directory)), policy_(policy) {}

  // A file the plan names, relative to the plan's folder; it must exist.
  std::string ExistingFile(const YAML::Node& node, const std::string& what) {
    std::string text;
    if (!Scalar(node, what, text)) return {};
    fs::path file = text;
    if (file.is_relative()) file = fs::path(directory_) / file;
    // Confinement comes first, and its answer is the same for a file that
    // exists and one that does not: the reply must not probe the disk.
    if (policy_.roots && !WithinRoots(file.string(), *policy_.roots)) {
      Problem(node, what + ": " + Quote(text) +
                        " is outside the folders this daemon reads plans' files from (" +
                        (policy_.roots->empty() ? std::string("none: its bench file names no roots")
                                                : "roots: " + Join(*policy_.roots)) +
                        ")");
      return {};
    }
    std::error_code error;
    if (fs::is_directory(file, error) && what.size() >= 8 &&
        what.substr(what.size() - 8) == ".dataset") {
      file /= "y_labels.csv";
      if (!fs::is_regular_file(file, error)) {
        Problem(node, what + ": " + Quote(text) + " has no y_labels.csv (file,classes,label)");
        return {};
      }
      return fs::absolute(file.parent_path()).lexically_normal().string();
    }
    if (!fs::is_regular_file(file, error)) {
      Problem(node,
              what + ": no such file " + Quote(text) +
                  (file.string() != text ? " (looked for " + file.lexically_normal().string() + ")"
                                         : ""));
      return {};
    }
    return fs::absolute(file).lexically_normal().string();
  }

 private:
  std::string directory_;
  const PlanPolicy& policy_;
};

const std::vector<std::string> kFigures = {"latency_us", "energy_uJ", "net_energy_uJ", "power_mW"};
const std::vector<std::string> kStats = {"n", "mean", "median", "std", "min", "max", "p95"};

void ReadTrigger(Reader& reader, const YAML::Node& map, const char* key, Trigger& trigger) {
  const YAML::Node node = map[key];
  std::string text;
  if (!node || !reader.Scalar(node, std::string("bench.triggers.") + key, text)) return;
  const bool input = text.size() == 2 && text[0] == 'D' && text[1] >= '0' && text[1] <= '7';
  if (!input && text != "none") {
    reader.Problem(node, std::string("bench.triggers.") + key + " is " + Quote(text) +
                             "; give the probe's logic input D0..D7, or none");
    return;
  }
  trigger = Trigger{text, At(node)};
}

void ReadBench(Reader& reader, const YAML::Node& node, Bench& bench) {
  if (!reader.Mapping(node, "bench",
                      {"kind", "flasher", "probe", "connect", "supply_mv", "triggers",
                       "energy_profile", "pace"}))
    return;
  reader.Choice(node, "kind", "bench", {"virtual", "real"}, bench.kind);
  // Both benches flash through OpenOCD by default; the virtual bench can
  // also have QEMU load the image itself (-kernel).
  bench.flasher = "openocd";
  reader.Choice(node, "flasher", "bench", {"openocd", "qemu"}, bench.flasher);
  if (node["flasher"] && bench.kind == "real" && bench.flasher == "qemu") {
    reader.Problem(node["flasher"],
                   "a real bench flashes with openocd (qemu is the virtual "
                   "bench's -kernel shortcut)");
  }
  reader.Choice(node, "probe", "bench", {"ppk2", "lpm01a", "js110"}, bench.probe);
  reader.String(node, "connect", "bench", bench.connect);
  reader.Count<uint32_t>(node, "supply_mv", "bench", bench.supply_mv, 800, 5000);
  reader.String(node, "energy_profile", "bench", bench.energy_profile);
  reader.Choice(node, "pace", "bench", {"fast", "realtime"}, bench.pace);
  if (node["pace"] && bench.kind == "real" && bench.pace != "fast") {
    reader.Problem(node["pace"],
                   "a real bench runs at its own pace; bench.pace is the virtual "
                   "bench's (realtime keeps QEMU in step with the host's clock)");
  }
  if (bench.kind == "virtual" && bench.probe == "js110" && node["probe"]) {
    reader.Problem(node["probe"], "the virtual bench has a PPK2 and an LPM01A, not a JS110");
  }
  if (const YAML::Node triggers = node["triggers"]) {
    if (reader.Mapping(triggers, "bench.triggers", {"inference", "layer", "timestamp"})) {
      ReadTrigger(reader, triggers, "inference", bench.inference);
      ReadTrigger(reader, triggers, "layer", bench.layer);
      ReadTrigger(reader, triggers, "timestamp", bench.timestamp);
    }
  } else if (bench.probe == "lpm01a") {
    // The LPM01A reports edges of its D7 input only: the timestamp pin.
    bench.inference.input = bench.layer.input = "none";
    bench.timestamp.input = "D7";
  }
}

std::vector<std::string> Workloads() {
  std::vector<std::string> names;
  for (std::string_view name : MicrobenchWorkloads()) names.emplace_back(name);
  return names;
}

void ReadNetworks(Reader& reader, const YAML::Node& node, std::vector<Network>& networks) {
  if (!node.IsMap() || node.size() == 0) {
    reader.Problem(node,
                   "networks must map each network's name to its settings, as in\n"
                   "  networks:\n    conv3x3: {workload: mb-conv3x3}");
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    Network network;
    network.name = entry.first.Scalar();
    network.at = At(entry.first);
    const std::string where = "networks." + network.name;
    if (!seen.insert(network.name).second) {
      reader.Problem(entry.first, "network " + Quote(network.name) + " is defined twice");
      continue;
    }
    const YAML::Node settings = entry.second;
    if (!reader.Mapping(settings, where, {"workload", "model", "input", "dataset", "mlperf"}))
      continue;
    std::unique_ptr<hil::model::LoweredModel> lowered_model;
    const std::vector<std::string> workloads = Workloads();
    if (settings["workload"] && settings["model"]) {
      reader.Problem(settings["model"], where + " has both 'workload' and 'model'; give one");
    } else if (const YAML::Node model = settings["model"]) {
      network.model = reader.ExistingFile(model, where + ".model");
      network.workload = "model";
      if (!network.model.empty()) {
        // The model must be one the runtime can run: found now, not on the bench.
        Result<std::unique_ptr<hil::model::LoweredModel>> lowered =
            hil::model::LowerFile(network.model, network.name);
        if (!lowered.ok()) {
          reader.Problem(model, where + ".model: " + lowered.error().message());
        } else {
          lowered_model = std::move(*lowered);
        }
      }
    } else {
      reader.Choice(settings, "workload", where, workloads, network.workload);
      if (!settings["workload"]) {
        reader.Problem(settings, where + " needs 'workload' (one of " + Join(workloads) +
                                     ") or 'model' (a .tflite file)");
      }
    }
    if (const YAML::Node input = settings["input"]) {
      network.input = reader.ExistingFile(input, where + ".input");
    }
    if (const YAML::Node dataset = settings["dataset"]) {
      network.dataset = reader.ExistingFile(dataset, where + ".dataset");
      // Every input and label, now rather than after the cases' measurements.
      if (!network.dataset.empty() && lowered_model) {
        Result<std::vector<hil::model::LabelledInput>> checked =
            hil::model::CheckDataset(network.dataset, *lowered_model);
        if (!checked.ok())
          reader.Problem(dataset, where + ".dataset: " + checked.error().message());
      }
    }
    if (settings["mlperf"]) {
      reader.Choice(
          settings, "mlperf", where,
          std::vector<std::string>(std::begin(kMlperfBenchmarks), std::end(kMlperfBenchmarks)),
          network.mlperf);
      if (!network.mlperf.empty() && network.model.empty()) {
        reader.Problem(settings["mlperf"], where +
                                               ".mlperf names the benchmark of a .tflite model; " +
                                               Quote(network.name) + " is a harness workload");
      }
    }
    networks.push_back(std::move(network));
  }
}

// Each framework has its own kernel sets; a set of the other framework is
// named as such, with the choices this one has.
void ReadKernels(Reader& reader, const YAML::Node& settings, const std::string& where,
                 Configuration& configuration) {
  const bool tflm = configuration.framework == "tflm";
  const std::vector<std::string> own = tflm ? std::vector<std::string>{"reference", "cmsis-nn"}
                                            : std::vector<std::string>{"reference", "simd"};
  const YAML::Node node = settings["kernels"];
  if (node && node.IsScalar()) {
    const std::string value = node.Scalar();
    if (value == (tflm ? "simd" : "cmsis-nn")) {
      reader.Problem(node, where + ".kernels is " + Quote(value) + ", a kernel set of " +
                               (tflm ? "hil's runtime (framework: hil)" : "framework: tflm") +
                               "; with framework " + configuration.framework + " the kernels are " +
                               Join(own) + (tflm ? "" : " (or set framework: tflm for CMSIS-NN)"));
      return;
    }
  }
  reader.Choice(settings, "kernels", where, own, configuration.kernels);
}

void ReadConfigurations(Reader& reader, const YAML::Node& node,
                        std::vector<Configuration>& configurations) {
  if (!node.IsMap() || node.size() == 0) {
    reader.Problem(node,
                   "configurations must map each configuration's name to its settings, as "
                   "in\n  configurations:\n    O2: {optimisation: -O2}");
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    Configuration configuration;
    configuration.name = entry.first.Scalar();
    configuration.at = At(entry.first);
    const std::string where = "configurations." + configuration.name;
    if (!seen.insert(configuration.name).second) {
      reader.Problem(entry.first,
                     "configuration " + Quote(configuration.name) + " is defined twice");
      continue;
    }
    const YAML::Node settings = entry.second;
    if (settings.IsNull()) {  // "name:" alone: every default
      configurations.push_back(std::move(configuration));
      continue;
    }
    if (!reader.Mapping(settings, where,
                        {"framework", "optimisation", "kernels", "number_format", "fpu", "defines",
                         "firmware"}))
      continue;
    reader.Choice(settings, "framework", where, {"hil", "tflm"}, configuration.framework);
    ReadKernels(reader, settings, where, configuration);
    reader.Choice(settings, "number_format", where, {"int8", "float32"},
                  configuration.number_format);
    std::string fpu = "on";
    reader.Choice(settings, "fpu", where, {"on", "off"}, fpu);
    configuration.fpu = fpu == "on";
    if (configuration.number_format == "float32" && configuration.kernels == "simd") {
      reader.Problem(settings["kernels"],
                     where +
                         ".kernels: the simd kernels are int8 only; a float32 configuration "
                         "runs the portable float kernels (remove kernels, or use int8)");
    }
    reader.Choice(settings, "optimisation", where, {"-O0", "-O1", "-O2", "-O3", "-Os", "-Og"},
                  configuration.optimisation);
    std::vector<Position> define_at;
    reader.StringList(settings, "defines", where, configuration.defines, &define_at);
    for (size_t i = 0; i < configuration.defines.size(); ++i) {
      const std::string& define = configuration.defines[i];
      const bool name_ok =
          !define.empty() &&
          (std::isalpha(static_cast<unsigned char>(define[0])) || define[0] == '_') &&
          define.find_first_of(" \t\"'\\;") == std::string::npos;
      if (!name_ok) {
        reader.Problem(define_at[i], where + ".defines: " + Quote(define) +
                                         " is not NAME or NAME=VALUE (no spaces or quotes)");
      }
    }
    if (const YAML::Node firmware = settings["firmware"]) {
      configuration.firmware = reader.ExistingFile(firmware, where + ".firmware");
    }
    configurations.push_back(std::move(configuration));
  }
}

void ReadNames(Reader& reader, const YAML::Node& matrix, const char* key,
               const std::vector<std::string>& defined, const char* kind,
               std::vector<std::string>& out) {
  std::vector<Position> positions;
  reader.StringList(matrix, key, "matrix", out, &positions);
  const std::set<std::string> known(defined.begin(), defined.end());
  size_t suggested = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (known.count(out[i]) != 0) continue;
    const std::string guess =
        suggested++ < kSuggestedNames ? DidYouMean(out[i], defined) : std::string();
    reader.Problem(positions[i],
                   std::string("matrix.") + key + ": no " + kind + " named " + Quote(out[i]) +
                       (guess.empty() ? "; the plan defines " + Join(defined, kListedNames)
                                      : "; did you mean " + Quote(guess) + "?"));
  }
}

void ReadMatrix(Reader& reader, const YAML::Node& node, Plan& plan) {
  plan.matrix_at = At(node);
  if (!reader.Mapping(node, "matrix", {"networks", "configurations", "boards", "exclude"})) return;
  std::vector<std::string> networks, configurations;
  for (const Network& n : plan.networks) networks.push_back(n.name);
  for (const Configuration& c : plan.configurations) configurations.push_back(c.name);
  ReadNames(reader, node, "networks", networks, "network", plan.matrix_networks);
  ReadNames(reader, node, "configurations", configurations, "configuration",
            plan.matrix_configurations);
  std::vector<Position> board_at;
  reader.StringList(node, "boards", "matrix", plan.boards, &board_at);
  if (!node["boards"]) reader.Problem(node, "matrix needs 'boards', as in [mps2-an386]");
  for (size_t i = 0; i < plan.boards.size(); ++i) {
    Result<const BoardSpec*> board = FindBoard(plan.boards[i]);
    if (!board.ok()) {
      std::vector<std::string> known;
      for (const BoardSpec& spec : AllBoards()) known.emplace_back(spec.name);
      const std::string guess = DidYouMean(plan.boards[i], known);
      reader.Problem(board_at[i], "unknown board " + Quote(plan.boards[i]) +
                                      (guess.empty() ? "; hil knows " + Join(known)
                                                     : "; did you mean " + Quote(guess) + "?"));
    } else if (plan.bench.kind == "virtual" && !(*board)->emulated()) {
      reader.Problem(board_at[i], "board " + Quote(plan.boards[i]) +
                                      " has no emulator, so the virtual bench cannot run it; "
                                      "use a real bench or an mps2/mps3 board");
    }
  }
  if (const YAML::Node exclude = node["exclude"]) {
    if (!exclude.IsSequence()) {
      reader.Problem(exclude, "matrix.exclude must be a list of {network, configuration, board}");
      return;
    }
    for (const YAML::Node& item : exclude) {
      Exclusion exclusion;
      exclusion.at = At(item);
      if (!reader.Mapping(item, "matrix.exclude entries", {"network", "configuration", "board"}))
        continue;
      reader.String(item, "network", "matrix.exclude", exclusion.network);
      reader.String(item, "configuration", "matrix.exclude", exclusion.configuration);
      reader.String(item, "board", "matrix.exclude", exclusion.board);
      plan.exclude.push_back(exclusion);
    }
  }
}

void ReadMeasurement(Reader& reader, const YAML::Node& node, Measurement& m) {
  if (!reader.Mapping(node, "measurement",
                      {"warmup", "runs", "windows", "window", "min_window_s", "mlperf", "guard_us",
                       "min_pulse_us"}))
    return;
  reader.Count<uint32_t>(node, "warmup", "measurement", m.warmup, 0, 10000);
  reader.Count<uint32_t>(node, "runs", "measurement", m.runs, 1, 1000000);
  reader.Count<uint32_t>(node, "windows", "measurement", m.windows, 1, 100);
  reader.Choice(node, "window", "measurement", {"inference", "timestamp"}, m.window);
  reader.Number(node, "min_window_s", "measurement", m.min_window_s, 0);
  reader.Flag(node, "mlperf", "measurement", m.mlperf);
  if (m.window == "inference") {
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
    if (m.window != "timestamp") {
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

void ReadPlan(Reader& reader, const YAML::Node& root, Plan& plan) {
  if (!root.IsMap()) {
    reader.Problem(root,
                   "a plan is a mapping with at least 'plan', 'networks', "
                   "'configurations' and 'matrix'");
    return;
  }
  reader.Mapping(
      root, "the plan",
      {"plan", "description", "bench", "networks", "configurations", "matrix", "measurement",
       "verification", "expectations", "on_missing_baseline", "baseline", "retries"});
  reader.String(root, "plan", "the plan", plan.name, true);
  reader.String(root, "description", "the plan", plan.description);
  if (root["bench"]) ReadBench(reader, root["bench"], plan.bench);
  if (root["networks"]) {
    ReadNetworks(reader, root["networks"], plan.networks);
  } else {
    reader.Problem(root, "the plan needs 'networks'");
  }
  if (root["configurations"]) {
    ReadConfigurations(reader, root["configurations"], plan.configurations);
  } else {
    Configuration defaults;
    defaults.name = "default";
    defaults.at = At(root);
    plan.configurations.push_back(defaults);
  }
  if (root["matrix"]) {
    ReadMatrix(reader, root["matrix"], plan);
  } else {
    reader.Problem(root, "the plan needs 'matrix', with at least 'boards'");
  }
  if (root["measurement"]) ReadMeasurement(reader, root["measurement"], plan.measurement);
  if (root["verification"]) ReadVerification(reader, root["verification"], plan.verification);
  if (const YAML::Node expectations = root["expectations"]) {
    if (!expectations.IsSequence()) {
      reader.Problem(expectations, "expectations must be a list of strings");
    } else {
      for (const YAML::Node& item : expectations) ReadExpectation(reader, item, plan.expectations);
    }
  }
  if (const YAML::Node baseline = root["baseline"]) {
    // Read once and never used: refused so that nobody relies on it.
    reader.Problem(baseline,
                   "'baseline' is not a plan key: a run's baseline is the newest earlier "
                   "finished run of the same plan in its results.db (--out; under hild, the "
                   "plan's history on its bench); remove the key");
  }
  reader.Choice(root, "on_missing_baseline", "the plan", {"fail", "skip"},
                plan.on_missing_baseline);
  reader.Count<uint32_t>(root, "retries", "the plan", plan.retries, 0, 10);
  if (plan.measurement.window == "timestamp" && plan.bench.timestamp.input == "none") {
    reader.Problem(plan.bench.timestamp.at,
                   "measurement.window is timestamp but no timestamp "
                   "input is wired (bench.triggers.timestamp)");
  }
  if (plan.measurement.window == "inference" && plan.bench.inference.input == "none") {
    reader.Problem(plan.bench.inference.at.line ? plan.bench.inference.at : At(root),
                   "measurement.window is inference but no inference input is wired "
                   "(bench.triggers.inference); with an LPM01A use window: timestamp");
  }
  if (reader.ok() && ExpandMatrix(plan).empty()) {
    reader.Problem(plan.matrix_at, "the matrix is empty: the exclusions leave no case to run");
  }
}

}  // namespace

bool WithinRoots(const std::string& file, const std::vector<std::string>& roots) {
  std::error_code error;
  // Resolves every link of the part that exists; the rest is normalised, so
  // ".." cannot climb out either.
  const fs::path real = fs::weakly_canonical(fs::absolute(file, error), error);
  if (error || real.empty()) return false;
  for (const std::string& root : roots) {
    std::error_code root_error;
    const fs::path base = fs::weakly_canonical(fs::absolute(root, root_error), root_error);
    if (root_error || base.empty()) continue;
    const fs::path relative = real.lexically_relative(base);
    if (!relative.empty() && *relative.begin() != ".." && !relative.is_absolute()) return true;
  }
  return false;
}

Result<Plan> ParsePlanText(const std::string& text, const std::string& path,
                           const std::string& directory, const PlanPolicy& policy) {
  if (text.size() > policy.max_bytes) {
    return ConfigurationError(path + ": the plan is " + std::to_string(text.size()) +
                              " bytes; plans are limited to " + std::to_string(policy.max_bytes) +
                              " bytes");
  }
  Reader reader(path, directory, policy);
  Plan plan;
  plan.path = path;
  plan.directory = directory;
  YAML::Node root;
  if (!reader.Load(text, root)) return reader.ToError();
  ReadPlan(reader, root, plan);
  if (!reader.ok()) return reader.ToError();
  if (plan.matrix_networks.empty()) {
    for (const Network& n : plan.networks) plan.matrix_networks.push_back(n.name);
  }
  if (plan.matrix_configurations.empty()) {
    for (const Configuration& c : plan.configurations) plan.matrix_configurations.push_back(c.name);
  }
  return plan;
}

Result<Plan> ParsePlanFile(const std::string& path, const PlanPolicy& policy) {
  Result<std::string> text = YamlReader::ReadFile(path, policy.max_bytes, "plan");
  if (!text.ok()) return text.error();
  std::error_code error;
  const fs::path directory = fs::absolute(path, error).parent_path();
  return ParsePlanText(*text, path, directory.string(), policy);
}

std::vector<Case> ExpandMatrix(const Plan& plan) {
  std::vector<Case> cases;
  const auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const Network& network : plan.networks) {
    if (!listed(plan.matrix_networks, network.name)) continue;
    for (const Configuration& configuration : plan.configurations) {
      if (!listed(plan.matrix_configurations, configuration.name)) continue;
      for (const std::string& board : plan.boards) {
        const bool excluded =
            std::any_of(plan.exclude.begin(), plan.exclude.end(), [&](const Exclusion& x) {
              return (x.network.empty() || x.network == network.name) &&
                     (x.configuration.empty() || x.configuration == configuration.name) &&
                     (x.board.empty() || x.board == board);
            });
        if (excluded) continue;
        cases.push_back(Case{network.name + "/" + configuration.name + "/" + board, &network,
                             &configuration, board});
      }
    }
  }
  return cases;
}

}  // namespace hil::plan
