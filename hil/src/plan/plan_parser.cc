#include "hil/plan/plan_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "hil/boards.h"
#include "plan_reader.h"
#include "probes/probe_table.h"

namespace hil::plan {

namespace fs = std::filesystem;

namespace reading {

std::string Reader::ExistingFile(const YAML::Node& node, const std::string& what) {
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

}  // namespace reading

namespace {

using reading::At;
using reading::Reader;

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
  ReadBench(reader, root["bench"], plan.bench);  // absent: the defaults
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
  if (plan.measurement.window == measure::WindowKind::kTimestamp &&
      plan.bench.timestamp.input == "none") {
    reader.Problem(plan.bench.timestamp.at,
                   "measurement.window is timestamp but no timestamp "
                   "input is wired (bench.triggers.timestamp)");
  }
  if (plan.measurement.window == measure::WindowKind::kInference &&
      plan.bench.inference.input == "none") {
    const probes::ProbeKind* kind = probes::FindProbeKind(plan.bench.probe.kind);
    const bool timestamp_only =
        kind != nullptr && kind->inference_input == "none" && kind->timestamp_input != "none";
    reader.Problem(plan.bench.inference.at.line ? plan.bench.inference.at : At(root),
                   "measurement.window is inference but no inference input is wired "
                   "(bench.triggers.inference)" +
                       (timestamp_only ? "; with an " + kind->label + " use window: timestamp"
                                       : std::string()));
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
