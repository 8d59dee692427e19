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
#include "hil/model/dataset.h"
#include "hil/model/lowering.h"

namespace hil::plan {
namespace {

namespace fs = std::filesystem;

struct Diagnostic {
  Position at;
  std::string message;
};

Position At(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return Position{mark.line + 1, mark.column + 1};
}

std::string Quote(const std::string& text) { return "'" + text + "'"; }

std::string Join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// At most `most` words and about 240 characters of them, then a count.
std::string Join(const std::vector<std::string>& words, size_t most) {
  constexpr size_t kLongestList = 240;
  std::string text;
  size_t listed = 0;
  for (; listed < words.size() && listed < most; ++listed) {
    if (listed > 0 && text.size() + words[listed].size() > kLongestList) break;
    text += (text.empty() ? "" : ", ") + words[listed];
  }
  if (listed < words.size()) text += " and " + std::to_string(words.size() - listed) + " more";
  return text;
}

// Levenshtein distance, or `limit + 1` as soon as it is certain to exceed
// `limit`: only the band of cells within `limit` of the diagonal is
// computed, so a pair costs O(length x limit), never O(length^2).
size_t BoundedEditDistance(std::string_view a, std::string_view b, size_t limit) {
  const size_t too_far = limit + 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return too_far;
  std::vector<size_t> row(b.size() + 1, too_far);
  for (size_t j = 0; j <= std::min(b.size(), limit); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    const size_t from = i > limit ? i - limit : 1;
    const size_t to = std::min(b.size(), i + limit);
    size_t diagonal = row[from - 1];
    row[from - 1] = from == 1 && i <= limit ? i : too_far;
    size_t best = row[from - 1];
    for (size_t j = from; j <= to; ++j) {
      const size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      row[j] = std::min(row[j], too_far);
      best = std::min(best, row[j]);
      diagonal = above;
    }
    if (to < b.size()) row[to + 1] = too_far;
    if (best > limit) return too_far;
  }
  return std::min(row[b.size()], too_far);
}

// Lists in messages name at most this many entries.
constexpr size_t kListedNames = 12;
// Unknown names in a matrix get a suggestion up to this many times; after
// that they are only listed, so a plan of thousands of misspelt names is
// validated in linear time.
constexpr size_t kSuggestedNames = 20;
// Problems reported at most; the rest are counted.
constexpr size_t kReportedProblems = 100;

// Collects problems while the plan is read; reading goes on after one, so
// the user sees all of them at once.
class Reader {
 public:
  Reader(std::string path, std::string directory, const PlanPolicy& policy)
      : path_(std::move(path)), directory_(std::move(directory)), policy_(policy) {}

  void Problem(const YAML::Node& node, std::string message) {
    problems_.push_back(Diagnostic{At(node), std::move(message)});
  }
  void Problem(Position at, std::string message) {
    problems_.push_back(Diagnostic{at, std::move(message)});
  }
  bool ok() const { return problems_.empty(); }

  Error ToError() const {
    std::vector<Diagnostic> sorted = problems_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
    });
    std::string text;
    if (sorted.size() > kReportedProblems) {
      const size_t more = sorted.size() - kReportedProblems;
      sorted.resize(kReportedProblems);
      sorted.push_back(Diagnostic{
          sorted.back().at, "... and " + std::to_string(more) + " more problems; fix these first"});
    }
    for (const Diagnostic& d : sorted) {
      if (!text.empty()) text += "\n";
      text += path_ + ":" + std::to_string(d.at.line) + ":" + std::to_string(d.at.column) + ": " +
              d.message;
    }
    return ConfigurationError(text);
  }

  // A mapping whose keys must all be known. Returns false (with a problem)
  // when the node is not a mapping.
  bool Mapping(const YAML::Node& node, const std::string& where,
               const std::vector<std::string>& known) {
    if (!node.IsMap()) {
      Problem(node, where + " must be a mapping of keys to values");
      return false;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        Problem(entry.first, "duplicate key " + Quote(key) + " in " + where);
        continue;
      }
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        const std::string guess = DidYouMean(key, known);
        Problem(entry.first, "unknown key " + Quote(key) + " in " + where +
                                 (guess.empty() ? "; the keys are " + Join(known)
                                                : "; did you mean " + Quote(guess) + "?"));
      }
    }
    return true;
  }

  bool Scalar(const YAML::Node& node, const std::string& what, std::string& out) {
    if (!node.IsScalar()) {
      Problem(node, what + " must be a single value");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  void String(const YAML::Node& map, const char* key, const std::string& where, std::string& out,
              bool required = false) {
    const YAML::Node node = map[key];
    if (!node) {
      if (required) Problem(map, where + " needs " + Quote(key));
      return;
    }
    Scalar(node, where + "." + key, out);
  }

  void Choice(const YAML::Node& map, const char* key, const std::string& where,
              const std::vector<std::string>& choices, std::string& out) {
    const YAML::Node node = map[key];
    std::string value;
    if (!node || !Scalar(node, where + "." + key, value)) return;
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      const std::string guess = DidYouMean(value, choices);
      Problem(node, where + "." + key + " is " + Quote(value) + "; it must be one of " +
                        Join(choices) +
                        (guess.empty() ? std::string() : " (did you mean " + Quote(guess) + "?)"));
      return;
    }
    out = value;
  }

  template <typename Unsigned>
  void Count(const YAML::Node& map, const char* key, const std::string& where, Unsigned& out,
             Unsigned min, Unsigned max) {
    const YAML::Node node = map[key];
    std::string text;
    if (!node || !Scalar(node, where + "." + key, text)) return;
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      Problem(node, where + "." + key + " must be a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max) + ", not " + Quote(text));
      return;
    }
    out = static_cast<Unsigned>(value);
  }

  void Number(const YAML::Node& map, const char* key, const std::string& where, double& out,
              double min, double max = 1e300) {
    const YAML::Node node = map[key];
    std::string text;
    if (!node || !Scalar(node, where + "." + key, text)) return;
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !(value >= min) ||
        value > max) {
      std::ostringstream range;
      range << "a number of at least " << min;
      Problem(node, where + "." + key + " must be " + range.str() + ", not " + Quote(text));
      return;
    }
    out = value;
  }

  void Flag(const YAML::Node& map, const char* key, const std::string& where, bool& out) {
    const YAML::Node node = map[key];
    std::string text;
    if (!node || !Scalar(node, where + "." + key, text)) return;
    if (text == "true") {
      out = true;
    } else if (text == "false") {
      out = false;
    } else {
      Problem(node, where + "." + key + " must be true or false, not " + Quote(text));
    }
  }

  void StringList(const YAML::Node& map, const char* key, const std::string& where,
                  std::vector<std::string>& out, std::vector<Position>* positions = nullptr) {
    const YAML::Node node = map[key];
    if (!node) return;
    if (!node.IsSequence()) {
      Problem(node, where + "." + key + " must be a list, as in [a, b]");
      return;
    }
    for (const YAML::Node& item : node) {
      std::string value;
      if (!Scalar(item, where + "." + key + " entries", value)) continue;
      out.push_back(value);
      if (positions != nullptr) positions->push_back(At(item));
    }
  }

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
  std::string path_;
  std::string directory_;
  const PlanPolicy& policy_;
  std::vector<Diagnostic> problems_;
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

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  // Names longer than this are not typed by hand; guessing them costs more
  // than it helps.
  constexpr size_t kLongestGuessed = 64;
  if (word.size() > kLongestGuessed) return "";
  // Between equally distant names, the one with the word's own letters
  // (a swap: "medain" is "median", not "mean"), then the one of its length.
  const auto likeness = [&word](const std::string& candidate) {
    if (candidate.size() != word.size()) return 0;
    std::string a = word, b = candidate;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b ? 2 : 1;
  };
  const size_t threshold = std::max<size_t>(2, word.size() / 3);
  std::string best;
  size_t best_distance = threshold + 1;
  int best_likeness = -1;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > kLongestGuessed) continue;
    const size_t limit = std::min(threshold, best_distance);
    const size_t distance = BoundedEditDistance(word, candidate, limit);
    if (distance > limit) continue;
    const int like = likeness(candidate);
    if (distance < best_distance || like > best_likeness)
      best = candidate, best_distance = distance, best_likeness = like;
  }
  return best;
}

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
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    reader.Problem(Position{error.mark.line + 1, error.mark.column + 1},
                   "not valid YAML: " + error.msg);
    return reader.ToError();
  }
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
  std::ifstream file(path);
  if (!file) return ConfigurationError(path + ": cannot read the plan");
  std::string text;
  // One byte past the limit is enough to refuse it.
  text.resize(policy.max_bytes + 1);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  std::error_code error;
  const fs::path directory = fs::absolute(path, error).parent_path();
  return ParsePlanText(text, path, directory.string(), policy);
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
