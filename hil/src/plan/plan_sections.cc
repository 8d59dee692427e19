// The sections of a plan that say what runs where: the bench, networks,
// framework configurations and the matrix of cases.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "hil/bench/probe_reading.h"
#include "hil/boards.h"
#include "hil/model/dataset.h"
#include "hil/model/lowering.h"
#include "plan_reader.h"
#include "probes/probe_table.h"

namespace hil::plan::reading {

namespace {

std::vector<std::string> Workloads() {
  std::vector<std::string> names;
  for (std::string_view name : MicrobenchWorkloads()) names.emplace_back(name);
  return names;
}

// Each framework has its own kernel sets; a set of the other framework is
// named as such, with the choices this one has.
void ReadKernels(Reader& reader, const YAML::Node& settings, const std::string& where,
                 Configuration& configuration) {
  const bool tflm = configuration.framework == "tflm";
  const std::vector<std::string> own = KernelSetsOf(configuration.framework);
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

}  // namespace

void ReadBench(Reader& reader, const YAML::Node& node, Bench& bench) {
  const bool given = node.IsDefined() && !node.IsNull();
  if (given && !reader.Mapping(node, "bench",
                               {"kind", "flasher", "probe", "connect", "supply_mv", "triggers",
                                "energy_profile", "pace"}))
    return;
  const YAML::Node none;
  const YAML::Node map = given ? node : none;
  reader.Enum(map, "kind", "bench", bench.kind);
  const bool real = bench.kind == BenchKind::kReal;
  // Both benches flash through OpenOCD by default; the virtual bench can
  // also have QEMU load the image itself (-kernel).
  bench.flasher = Flasher::kOpenOcd;
  reader.Enum(map, "flasher", "bench", bench.flasher);
  if (real && bench.flasher == Flasher::kQemu) {
    reader.Problem(map["flasher"],
                   "a real bench flashes with openocd (qemu is the virtual "
                   "bench's -kernel shortcut)");
  } else if (bench.flasher == Flasher::kNone) {
    reader.Problem(map["flasher"],
                   "a plan's bench flashes with openocd or qemu; a real bench whose DUT is "
                   "flashed outside hil says flasher: none in its bench file");
  }
  const probes::ProbeKind& kind =
      bench::ReadProbeKind(reader, map, "probe", "bench", !real, bench.probe.kind);
  reader.String(map, "connect", "bench", bench.probe.connect);
  reader.Count<uint32_t>(map, "supply_mv", "bench", bench.supply_mv, 800, 5000);
  reader.String(map, "energy_profile", "bench", bench.energy_profile);
  reader.Choice(map, "pace", "bench", {"fast", "realtime"}, bench.pace);
  if (map["pace"] && real && bench.pace != "fast") {
    reader.Problem(map["pace"],
                   "a real bench runs at its own pace; bench.pace is the virtual "
                   "bench's (realtime keeps QEMU in step with the host's clock)");
  }
  bench::ReadTriggers(reader, map["triggers"], "bench.triggers", kind, false, bench);
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
    reader.Choice(settings, "framework", where, Frameworks(), configuration.framework);
    ReadKernels(reader, settings, where, configuration);
    reader.Enum(settings, "number_format", where, configuration.number_format);
    std::string fpu = "on";
    reader.Choice(settings, "fpu", where, {"on", "off"}, fpu);
    configuration.fpu = fpu == "on";
    if (configuration.number_format == model::NumberFormat::kFloat32 &&
        configuration.kernels == "simd") {
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

void ReadBoards(Reader& reader, const YAML::Node& map, const std::string& where, BenchKind kind,
                std::vector<std::string>& boards) {
  std::vector<Position> board_at;
  reader.StringList(map, "boards", where, boards, &board_at);
  if (!map["boards"]) reader.Problem(map, where + " needs 'boards', as in [mps2-an386]");
  for (size_t i = 0; i < boards.size(); ++i) {
    Result<const BoardSpec*> board = FindBoard(boards[i]);
    if (!board.ok()) {
      std::vector<std::string> known;
      for (const BoardSpec& spec : AllBoards()) known.emplace_back(spec.name);
      const std::string guess = DidYouMean(boards[i], known);
      reader.Problem(board_at[i], "unknown board " + Quote(boards[i]) +
                                      (guess.empty() ? "; hil knows " + Join(known)
                                                     : "; did you mean " + Quote(guess) + "?"));
    } else if (kind == BenchKind::kVirtual && !(*board)->emulated()) {
      reader.Problem(board_at[i], "board " + Quote(boards[i]) +
                                      " has no emulator, so the virtual bench cannot run it; "
                                      "use a real bench or an mps2/mps3 board");
    }
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
  ReadBoards(reader, node, "matrix", plan.bench.kind, plan.boards);
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

}  // namespace hil::plan::reading
