#include "hil/mlperf/submission.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "hil/boards.h"
#include "hil/run/results_json.h"

namespace hil::mlperf {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

bool SafeFolderName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

// One line as EnergyRunner and the runner write theirs: "SSSSS.mmm who: text".
class RunnerText {
 public:
  RunnerText& Line(const std::string& text) {
    out_ << "00000.000 hil: " << text << "\n";
    return *this;
  }
  RunnerText& Format(const char* format, auto... values) {
    char text[300];
    std::snprintf(text, sizeof text, format, values...);
    return Line(text);
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// What the run says about where and how the case was measured.
std::string Provenance(const run::RunRecord& run, const run::CaseResult& c) {
  RunnerText log;
  log.Line("m-session-start-id[hil-run-" + std::to_string(run.id) + "]")
      .Line("plan " + run.plan + " (" + run.plan_path + ")")
      .Line("run started " + run.started + ", finished " + run.finished)
      .Line("bench " + run.bench.dump())
      .Line("case " + c.id + ": " + std::string(ToText(c.status)))
      .Line("m-model-[" + c.model_id + "]")
      .Line("kernels " + c.kernels)
      .Line("firmware sha256 " + c.firmware.sha256);
  return log.str();
}

std::string PerformanceText(const run::CaseResult& c) {
  const double latency_us = c.figures.latency_us.median;
  RunnerText text;
  text.Line("Performance results:")
      .Format("  # Inferences :   %12.0f", static_cast<double>(c.figures.latency_us.n))
      .Format("  Latency      :   %12.3f ms (median)", latency_us / 1000)
      .Format("  Throughput   :   %12.3f inf./sec.", 1e6 / latency_us)
      .Line("---------------------------------------------------------")
      .Format("Median throughput is %.3f inf./sec.", 1e6 / latency_us)
      .Line("---------------------------------------------------------");
  return text.str();
}

std::string AccuracyText(const run::DatasetResult& dataset) {
  RunnerText text;
  text.Format("Inputs       : %zu", dataset.inputs)
      .Format("Bit-exact    : %zu of them equal the host reference", dataset.matched)
      .Format("Metric       : %s", dataset.metric.c_str());
  // The checker reads " Top-1: X" (percent) or " AUC: X" (a fraction).
  if (dataset.auc) {
    if (std::isfinite(*dataset.auc)) {
      text.Format("AUC: %.4f", *dataset.auc);
    } else {
      text.Line("AUC: n/a (the dataset lacked normal or anomalous inputs)");
    }
  } else {
    text.Format("Top-1: %.1f%%", dataset.top1() * 100);
  }
  return text.str();
}

std::string EnergyText(const run::CaseResult& c) {
  const measure::CaseFigures& f = c.figures;
  RunnerText text;
  text.Format("Energy per inference over %zu windows: median %.3f uJ, mean %.3f uJ", f.energy_uj.n,
              f.energy_uj.median, f.energy_uj.mean)
      .Format("Power        : %.3f mW (median)", f.power_mw.median)
      .Line("---------------------------------------------------------")
      .Format("Median energy cost is %.3f uJ/inf.", f.mlperf_energy_uj)
      .Line("---------------------------------------------------------");
  return text.str();
}

Json SystemJson(const run::RunRecord& run, const run::CaseResult& c,
                const SubmissionOptions& options) {
  const std::string& board = c.board;
  std::string processor = board, frequency;
  if (Result<const BoardSpec*> spec = FindBoard(board); spec.ok()) {
    processor = std::string((*spec)->core) + " (" + std::string((*spec)->description) + ")";
    frequency = std::to_string((*spec)->clock_hz / 1000000) + " MHz";
  }
  const bool tflm = c.kernels.rfind("tflm", 0) == 0;
  const bool virtual_bench = run::EmulatedTime(run.bench);
  Json system;
  system["Board Name"] = board;
  system["Status"] = options.status;
  system["Processor(s) Name"] = processor;
  system["Processor(s) Frequencies"] = frequency;
  system["Processor memory type and capacity"] = "";
  system["Accelerator"] = "";
  system["Accelerator(s) Frequencies"] = "";
  system["Accelerator memory type and capacity"] = "";
  system["Hardware Notes"] =
      virtual_bench ? "hil's virtual bench: QEMU 7.2 with -icount (32 ns per instruction) and "
                      "an energy model; figures are emulated, not silicon's"
                    : "measured on a hil bench with a " + run::BenchText(run.bench, "probe");
  system["Inference Framework"] = tflm ? "TensorFlow Lite Micro" : "hil runtime";
  system["Software Libraries"] = c.kernels;
  system["Software Notes"] =
      "written by hil export mlperf from run " + std::to_string(run.id) + " of plan " + run.plan;
  return system;
}

}  // namespace

std::string ModelClassOf(const std::string& mlperf_id) {
  static const std::map<std::string, std::string> kClasses = {
      {"kws01", "kws"}, {"ad01", "ad"}, {"ic01", "ic"}, {"vww01", "vww"}, {"sww01", "sww"}};
  const auto found = kClasses.find(mlperf_id);
  return found == kClasses.end() ? std::string() : found->second;
}

Result<SubmissionWritten> WriteSubmission(const run::RunRecord& run,
                                          const SubmissionOptions& options) {
  for (const auto& [what, name] :
       {std::pair<const char*, const std::string&>{"--submitter", options.submitter},
        {"--system", options.system}}) {
    if (!SafeFolderName(name)) {
      return ConfigurationError(std::string(what) + " '" + name +
                                "' becomes a folder name: use letters, digits, '.', '_' and '-' "
                                "(at most 64, not starting with '.')");
    }
  }
  if (options.division != "open" && options.division != "closed") {
    return ConfigurationError("--division is open or closed, not '" + options.division + "'");
  }
  // One case per benchmark: those naming an MLPerf id, narrowed by options.
  std::map<std::string, std::vector<const run::CaseResult*>> by_class;
  for (const run::CaseResult& c : run.cases) {
    const std::string model_class = ModelClassOf(c.model_id);
    if (model_class.empty()) continue;
    if (!options.configuration.empty() && c.configuration != options.configuration) continue;
    if (!options.board.empty() && c.board != options.board) continue;
    by_class[model_class].push_back(&c);
  }
  if (by_class.empty()) {
    return ConfigurationError(
        "no case of run " + std::to_string(run.id) +
        " names an MLPerf Tiny benchmark (or none matches --configuration/--board): give the "
        "plan's networks an mlperf: key (kws01, ad01, ic01, vww01, sww01) and run it again");
  }
  for (const auto& [model_class, cases] : by_class) {
    if (cases.size() > 1) {
      std::string ids;
      for (const run::CaseResult* c : cases) ids += (ids.empty() ? "" : ", ") + c->id;
      return ConfigurationError("benchmark " + model_class + " has " +
                                std::to_string(cases.size()) + " cases (" + ids +
                                "); choose one with --configuration and --board");
    }
    const run::CaseResult& c = *cases.front();
    if (c.status != run::CaseStatus::kPass) {
      return ConfigurationError("case " + c.id + " did not pass (" + std::string(ToText(c.status)) +
                                "): only verified figures go into a submission");
    }
  }

  SubmissionWritten written;
  const fs::path root = fs::path(options.division) / options.submitter;
  const auto put = [&](const fs::path& relative, const std::string& text) -> Status {
    const fs::path path = fs::path(options.out_dir) / relative;
    std::error_code error;
    fs::create_directories(path.parent_path(), error);
    if (error) return InfrastructureError("cannot create " + path.parent_path().string());
    HIL_RETURN_IF_ERROR(run::WriteAtomically(path.string(), text));
    written.files.push_back(relative.string());
    return OkStatus();
  };
  const run::CaseResult* first = by_class.begin()->second.front();
  HIL_RETURN_IF_ERROR(put(root / "systems" / (options.system + ".json"),
                          SystemJson(run, *first, options).dump(2) + "\n"));
  for (const auto& [model_class, cases] : by_class) {
    const run::CaseResult& c = *cases.front();
    // Each mode's results.json holds the case's own entries, as results.json has them.
    const Json entry = run::CaseJson(c);
    const fs::path model = root / "results" / options.system / model_class;
    const std::string log = Provenance(run, c);
    const auto mode = [&](const char* name, const std::string& results,
                          const Json& json) -> Status {
      HIL_RETURN_IF_ERROR(put(model / name / "results.txt", results));
      HIL_RETURN_IF_ERROR(put(model / name / "log.txt", log));
      return put(model / name / "results.json", json.dump(1) + "\n");
    };
    HIL_RETURN_IF_ERROR(mode("performance", PerformanceText(c),
                             {{"case", c.id}, {"latency_us", entry["latency_us"]}}));
    if (c.dataset) {
      HIL_RETURN_IF_ERROR(mode("accuracy", AccuracyText(*c.dataset),
                               {{"case", c.id}, {"dataset", entry["dataset"]}}));
    } else {
      written.notes.push_back(model_class + ": no accuracy (the case ran no labelled dataset" +
                              std::string(model_class == "ad" ? "; MLPerf scores AD by AUC over "
                                                                "normal (0) and anomalous (1) "
                                                                "inputs"
                                                              : "") +
                              "): the checker will want one");
    }
    if (entry.contains("mlperf") && std::isfinite(c.figures.mlperf_energy_uj)) {
      HIL_RETURN_IF_ERROR(mode("energy", EnergyText(c),
                               {{"case", c.id},
                                {"energy_uJ", entry["energy_uJ"]},
                                {"power_mW", entry["power_mW"]},
                                {"mlperf", entry["mlperf"]}}));
    } else {
      written.notes.push_back(model_class +
                              ": no energy (run the plan with measurement: {window: timestamp, "
                              "mlperf: true} for MLPerf's energy mode)");
    }
  }
  return written;
}

}  // namespace hil::mlperf
