#include "import_command.h"

#include <cstdio>
#include <filesystem>

#include "hil/mlperf/energyrunner.h"
#include "hil/run/exports.h"
#include "hil/run/html_report.h"
#include "hil/run/results_json.h"
#include "hil/run/results_store.h"

namespace hil::cli {
namespace {

namespace fs = std::filesystem;

struct ImportArguments {
  std::string session, out, board = "unknown";
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil import energyrunner: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

int ImportEnergyRunner(const ImportArguments& arguments) {
  // Everything is read and checked before anything is written.
  Result<mlperf::EnergyRunnerSession> session = mlperf::ReadEnergyRunnerSession(arguments.session);
  if (!session.ok()) return Fail(session.error());
  const mlperf::EnergyRunnerSession& s = *session;
  std::printf("EnergyRunner session %s: %s, %zu windows, %.0f Hz, %zu samples (%.1f s)%s\n",
              s.session_id.empty() ? "(no id)" : s.session_id.c_str(),
              s.model.empty() ? "model not named" : s.model.c_str(), s.windows.size(),
              s.sample_rate_hz, s.energy_uj.size(), s.duration_s(),
              s.supply_v > 0 ? (", " + std::to_string(s.supply_v).substr(0, 4) + " V").c_str()
                             : ", supply not in the log");
  for (size_t w = 0; w < s.windows.size(); ++w) {
    const mlperf::EnergyRunnerWindow& window = s.windows[w];
    std::printf(
        "  window %zu  %9.3f .. %9.3f s (%7.3f s)  %4u inferences  %12.3f uJ  %10.3f "
        "uJ/inference%s\n",
        w + 1, window.begin_s, window.end_s, window.duration_s(), window.inferences,
        window.energy_uj, window.energy_uj / window.inferences,
        w < s.runner_window_energy_uj.size()
            ? ("  (runner: " + std::to_string(s.runner_window_energy_uj[w]) + ")").c_str()
            : "");
  }
  const double median = mlperf::MedianEnergyPerInference(s);
  if (s.runner_median_uj_per_inference) {
    const double runner = *s.runner_median_uj_per_inference;
    std::printf(
        "median energy per inference: %.3f uJ; the runner's results.txt: %.3f uJ (%+.4f %%)\n",
        median, runner, (median - runner) / runner * 100);
  } else {
    std::printf("median energy per inference: %.3f uJ (no results.txt to compare with)\n", median);
  }

  const run::RunRecord imported = mlperf::ImportedRun(s, arguments.board);
  const fs::path out = arguments.out.empty()
                           ? fs::path("results") / fs::path(arguments.session).filename()
                           : fs::path(arguments.out);
  std::error_code error;
  fs::create_directories(out, error);
  if (error) return Fail(ConfigurationError("--out " + out.string() + ": " + error.message()));
  Result<std::unique_ptr<run::ResultsStore>> store =
      run::ResultsStore::Open((out / "results.db").string());
  if (!store.ok()) return Fail(store.error());
  Result<int64_t> id =
      (*store)->BeginRun(imported.plan, imported.plan_path, imported.started, imported.bench);
  if (!id.ok()) return Fail(id.error());
  run::RunRecord record = imported;
  record.id = *id;
  for (const run::CaseResult& c : record.cases) {
    if (Status added =
            (*store)->AddCase(*id, c.id, std::string(ToText(c.status)), run::CaseJson(c));
        !added.ok())
      return Fail(added.error());
  }
  if (Status finished = (*store)->FinishRun(*id, record.finished, record.status); !finished.ok())
    return Fail(finished.error());
  for (const Status& written :
       {run::WriteResultsJson(record, (out / "results.json").string()),
        run::WriteResultsCsv(record, (out / "results.csv").string()),
        run::WriteJUnit(record, (out / "junit.xml").string()),
        run::WriteHtmlReport(record, nullptr, (out / "report.html").string())}) {
    if (!written.ok()) return Fail(written.error());
  }
  std::printf("%s", run::SummaryTable(record).c_str());
  std::printf(
      "wrote %s: report.html, results.json, results.csv, junit.xml, results.db (run %lld)\n",
      out.string().c_str(), static_cast<long long>(*id));
  return record.cases.front().status == run::CaseStatus::kPass
             ? kExitOk
             : ExitCodeFor(ErrorKind::kTestFailure);
}

}  // namespace

void AddImportCommand(CLI::App& app, int& exit_code) {
  CLI::App* import = app.add_subcommand(
      "import", "Read measurements made by other tools into hil's results and report.");
  import->require_subcommand(1);
  auto arguments = std::make_shared<ImportArguments>();
  CLI::App* energyrunner = import->add_subcommand(
      "energyrunner",
      "An EnergyRunner / MLPerf Tiny energy-mode session (trace1-energy.bin,\n"
      "trace1-timestamps.json, log.txt and results.txt, or their energy_-prefixed\n"
      "names): energy per inference over its windows, as MLPerf computes it (the\n"
      "median), latency per inference, power, and the trace with its windows, written\n"
      "as a hil run (results.json, results.csv, junit.xml, report.html, results.db).\n\n"
      "Example:\n"
      "  hil import energyrunner ../shared/datasets/energyrunner/l4r5zi-kws-v0.5 --board "
      "nucleo-l4r5zi\n\n"
      "Exit codes: 0 imported, 1 imported but outside MLPerf's rules (fewer than 5\n"
      "windows, one under 10 s), 2 not a session hil can read (truncated or foreign;\n"
      "nothing is written), 3 the output cannot be written.");
  energyrunner->add_option("session", arguments->session, "The session's folder")->required();
  energyrunner->add_option("--out", arguments->out,
                           "Folder for the results (default: results/SESSION_FOLDER_NAME)");
  energyrunner
      ->add_option("--board", arguments->board,
                   "The board measured, for the case id (the log does not name it)")
      ->capture_default_str();
  energyrunner->callback([arguments, &exit_code] { exit_code = ImportEnergyRunner(*arguments); });
}

}  // namespace hil::cli
