// Reads an optimize spec with the plan's own section readers (bench,
// network, boards, measurement), so both files say the same things the
// same way.
#include "hil/plan/optimize_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "plan_reader.h"

namespace hil::plan {
namespace {

namespace fs = std::filesystem;
using reading::At;
using reading::Quote;
using reading::Reader;

// map[key] as a list of distinct words, each one of `choices`.
bool ChoiceList(Reader& reader, const YAML::Node& map, const char* key, const std::string& where,
                const std::vector<std::string>& choices, std::vector<std::string>& out) {
  if (!map[key]) return false;
  std::vector<std::string> words;
  std::vector<Position> at;
  reader.StringList(map, key, where, words, &at);
  if (map[key].IsSequence() && words.empty()) {
    reader.Problem(map[key], where + "." + key + " is empty; list at least one of " +
                                 JoinNames(choices) + " (or leave it out for all of them)");
    return false;
  }
  std::set<std::string> seen;
  bool good = map[key].IsSequence();
  for (size_t i = 0; i < words.size(); ++i) {
    if (std::find(choices.begin(), choices.end(), words[i]) == choices.end()) {
      const std::string guess = DidYouMean(words[i], choices);
      reader.Problem(at[i], where + "." + key + ": " + Quote(words[i]) + " is not one of " +
                                JoinNames(choices) +
                                (guess.empty() ? "" : " (did you mean " + Quote(guess) + "?)"));
      good = false;
    } else if (!seen.insert(words[i]).second) {
      reader.Problem(at[i], where + "." + key + " lists " + Quote(words[i]) + " twice");
      good = false;
    }
  }
  if (good) out = words;
  return good;
}

void ReadNetwork(Reader& reader, const YAML::Node& node, Network& network) {
  if (!node) {
    reader.Problem(node,
                   "the spec needs 'network', as in\n  network: {model: kws.tflite, "
                   "dataset: kws01}");
    return;
  }
  if (!reader.Mapping(node, "network", {"name", "model", "input", "dataset", "mlperf"})) return;
  if (!node["model"]) reader.Problem(node, "network needs 'model': a .tflite file to optimise");
  std::string name;
  reader.String(node, "name", "network", name);
  if (name.empty() && node["model"] && node["model"].IsScalar())
    name = fs::path(node["model"].Scalar()).stem().string();
  if (name.empty()) name = "network";
  // The plan's reader of networks, on a mapping of this one network.
  YAML::Node settings = YAML::Clone(node);
  settings.remove("name");
  YAML::Node networks(YAML::NodeType::Map);
  networks[name] = settings;
  std::vector<Network> read;
  ReadNetworks(reader, networks, read);
  if (!read.empty()) {
    network = std::move(read.front());
    network.at = At(node);
  }
}

void ReadLimits(Reader& reader, const YAML::Node& node, OptimizeLimits& limits) {
  if (!node) return;
  if (!reader.Mapping(node, "limits", {"top1_drop_pts", "latency_us", "flash_bytes", "ram_bytes"}))
    return;
  reader.Number(node, "top1_drop_pts", "limits", limits.top1_drop_pts, 0, 100);
  double latency = 0;
  if (reader.Number(node, "latency_us", "limits", latency, 1)) limits.latency_us = latency;
  uint64_t bytes = 0;
  if (node["flash_bytes"]) {
    reader.Count<uint64_t>(node, "flash_bytes", "limits", bytes, 1, uint64_t{1} << 32);
    if (bytes) limits.flash_bytes = bytes;
  }
  bytes = 0;
  if (node["ram_bytes"]) {
    reader.Count<uint64_t>(node, "ram_bytes", "limits", bytes, 1, uint64_t{1} << 32);
    if (bytes) limits.ram_bytes = bytes;
  }
}

void ReadSpace(Reader& reader, const YAML::Node& node, SearchSpace& space) {
  if (!node) return;
  if (!reader.Mapping(node, "space",
                      {"frameworks", "kernels", "number_formats", "fpu", "optimisations",
                       "per_layer_kernels", "pruning"}))
    return;
  ChoiceList(reader, node, "frameworks", "space", Frameworks(), space.frameworks);
  std::vector<std::string> every_set;
  for (const std::string& framework : Frameworks()) {
    for (const std::string& set : KernelSetsOf(framework))
      if (std::find(every_set.begin(), every_set.end(), set) == every_set.end())
        every_set.push_back(set);
  }
  if (ChoiceList(reader, node, "kernels", "space", every_set, space.kernels)) {
    // Each listed set must belong to a listed framework.
    for (const std::string& set : space.kernels) {
      const bool offered = std::any_of(
          space.frameworks.begin(), space.frameworks.end(), [&](const std::string& framework) {
            const std::vector<std::string> sets = KernelSetsOf(framework);
            return std::find(sets.begin(), sets.end(), set) != sets.end();
          });
      if (!offered) {
        reader.Problem(node["kernels"], "space.kernels: " + Quote(set) +
                                            " belongs to none of the frameworks listed (" +
                                            JoinNames(space.frameworks) + ")");
      }
    }
  }
  std::vector<std::string> formats;
  if (ChoiceList(reader, node, "number_formats", "space", EnumWords<model::NumberFormat>(),
                 formats)) {
    space.number_formats.clear();
    for (const std::string& word : formats)
      space.number_formats.push_back(*FromText<model::NumberFormat>(word));
  }
  std::vector<std::string> fpu;
  if (ChoiceList(reader, node, "fpu", "space", {"on", "off"}, fpu)) {
    space.fpu.clear();
    for (const std::string& word : fpu) space.fpu.push_back(word == "on");
  }
  ChoiceList(reader, node, "optimisations", "space", {"-O0", "-O1", "-O2", "-O3", "-Os", "-Og"},
             space.optimisations);
  reader.Flag(node, "per_layer_kernels", "space", space.per_layer_kernels);
  if (const YAML::Node pruning = node["pruning"]) {
    if (!pruning.IsSequence()) {
      reader.Problem(pruning,
                     "space.pruning must be a list of fractions, as in [0.125, 0.25]; "
                     "[] for none");
    } else {
      space.pruning.clear();
      for (const YAML::Node& item : pruning) {
        std::string text;
        double fraction = 0;
        if (!reader.Scalar(item, "space.pruning entries", text)) continue;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), fraction);
        if (error != std::errc() || end != text.data() + text.size() || !(fraction > 0) ||
            !(fraction < 1)) {
          reader.Problem(item, "space.pruning: " + Quote(text) +
                                   " is not a fraction between 0 and 1 (0.25 prunes a quarter "
                                   "of each chain's channels)");
          continue;
        }
        space.pruning.push_back(fraction);
      }
      std::sort(space.pruning.begin(), space.pruning.end());
    }
  }
}

void ReadBudget(Reader& reader, const YAML::Node& node, OptimizeBudget& budget) {
  if (!node) return;
  if (!reader.Mapping(node, "budget", {"max_measurements", "max_minutes"})) return;
  reader.Count<uint32_t>(node, "max_measurements", "budget", budget.max_measurements, 1, 10000);
  reader.Number(node, "max_minutes", "budget", budget.max_minutes, 0.1, 7 * 24 * 60);
}

void ReadSpec(Reader& reader, const YAML::Node& root, OptimizeSpec& spec) {
  if (!root.IsMap()) {
    reader.Problem(root,
                   "an optimize spec is a mapping with at least 'optimize', 'network' and "
                   "'boards'");
    return;
  }
  reader.Mapping(root, "the spec",
                 {"optimize", "description", "bench", "network", "boards", "objective", "limits",
                  "space", "budget", "measurement"});
  reader.String(root, "optimize", "the spec", spec.name, true);
  reader.String(root, "description", "the spec", spec.description);
  ReadBench(reader, root["bench"], spec.bench);
  ReadNetwork(reader, root["network"], spec.network);
  ReadBoards(reader, root, "the spec", spec.bench.kind, spec.boards);
  reader.Enum(root, "objective", "the spec", spec.objective);
  ReadLimits(reader, root["limits"], spec.limits);
  ReadSpace(reader, root["space"], spec.space);
  // Without a dataset accuracy cannot be judged, so only int8, whose every
  // deployment gives the same bits, is searched.
  if (!root["network"] || !root["network"]["dataset"]) {
    // A default-constructed YAML::Node counts as defined, so an absent section
    // is passed on as the (undefined) node it is.
    const YAML::Node space = root["space"];
    const YAML::Node formats = space ? space["number_formats"] : space;
    if (formats && spec.space.number_formats != std::vector{model::NumberFormat::kInt8}) {
      reader.Problem(formats,
                     "space.number_formats: a float32 build computes other outputs, "
                     "and without network.dataset its accuracy cannot be judged; "
                     "give the network a dataset, or search int8 only");
    }
    spec.space.number_formats = {model::NumberFormat::kInt8};
    const YAML::Node pruning = root["space"] ? root["space"]["pruning"] : YAML::Node();
    if (pruning && pruning.IsSequence() && pruning.size() > 0) {
      reader.Problem(pruning,
                     "space.pruning: a pruned network is judged on network.dataset, "
                     "which this spec does not give");
    }
    spec.space.pruning.clear();
  }
  ReadBudget(reader, root["budget"], spec.budget);
  // A candidate is measured briefly: its per-layer table is what the cost
  // model learns from, and the confirmations repeat it.
  spec.measurement.runs = 3;
  if (root["measurement"]) ReadMeasurement(reader, root["measurement"], spec.measurement);
  if (spec.measurement.window != measure::WindowKind::kInference) {
    reader.Problem(root["measurement"],
                   "measurement.window must be inference: the search learns from each "
                   "inference's layer table");
  }
}

}  // namespace

Result<OptimizeSpec> ReadOptimizeSpec(const std::string& path, const PlanPolicy& policy) {
  Result<std::string> text = YamlReader::ReadFile(path, policy.max_bytes, "optimize spec");
  if (!text.ok()) return text.error();
  std::error_code error;
  const std::string directory = fs::absolute(path, error).parent_path().string();
  Reader reader(path, directory, policy);
  OptimizeSpec spec;
  spec.path = path;
  spec.directory = directory;
  YAML::Node root;
  if (!reader.Load(*text, root)) return reader.ToError();
  ReadSpec(reader, root, spec);
  if (!reader.ok()) return reader.ToError();
  return spec;
}

}  // namespace hil::plan
