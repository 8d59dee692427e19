#include "export_command.h"

#include <cstdio>
#include <filesystem>

#include "hil/mlperf/submission.h"
#include "hil/run/results_store.h"

namespace hil::cli {
namespace {

namespace fs = std::filesystem;

struct ExportArguments {
  std::string results;
  int64_t run = 0;
  mlperf::SubmissionOptions options;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil export mlperf: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

int ExportMlperf(const ExportArguments& arguments) {
  const fs::path db = fs::path(arguments.results) / "results.db";
  if (!fs::exists(db)) {
    return Fail(ConfigurationError(arguments.results +
                                   " has no results.db (give the --out folder of a hil run)"));
  }
  Result<std::unique_ptr<run::ResultsStore>> store = run::ResultsStore::Open(db.string());
  if (!store.ok()) return Fail(store.error());
  int64_t id = arguments.run;
  if (id == 0) {
    Result<std::vector<run::StoredRun>> runs = (*store)->Runs();
    if (!runs.ok()) return Fail(runs.error());
    if (runs->empty()) return Fail(ConfigurationError(db.string() + " holds no run"));
    id = runs->back().id;
  }
  Result<run::RunRecord> record = run::LoadRunRecord(**store, id);
  if (!record.ok()) return Fail(record.error());
  Result<mlperf::SubmissionWritten> written = mlperf::WriteSubmission(*record, arguments.options);
  if (!written.ok()) return Fail(written.error());
  std::printf("MLPerf Tiny submission from run %lld of %s, in %s:\n", static_cast<long long>(id),
              record->plan.c_str(), arguments.options.out_dir.c_str());
  for (const std::string& file : written->files) std::printf("  %s\n", file.c_str());
  for (const std::string& note : written->notes) std::printf("note: %s\n", note.c_str());
  std::printf(
      "check it with mlcommons/tiny's checker:\n"
      "  python3 tools/submission/submission_checker.py --input %s\n",
      arguments.options.out_dir.c_str());
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App& app, int& exit_code) {
  CLI::App* command = app.add_subcommand("export", "Write a hil run in another tool's layout.");
  command->require_subcommand(1);
  auto arguments = std::make_shared<ExportArguments>();
  CLI::App* mlperf = command->add_subcommand(
      "mlperf",
      "An MLPerf Tiny submission tree (DIVISION/SUBMITTER/systems/SYSTEM.json and\n"
      "results/SYSTEM/MODEL/{performance,accuracy,energy}/ with log.txt, results.txt and\n"
      "results.json) from the cases of a run whose networks name their MLPerf benchmark\n"
      "(mlperf: kws01 in the plan). Performance comes from the median latency, accuracy\n"
      "from a dataset's top-1, energy from a run in MLPerf's energy mode.\n\n"
      "Example:\n"
      "  hil export mlperf results/quickstart --out submission --submitter me --system\n"
      "    virtual-m4 --configuration simd\n\n"
      "Exit codes: 0 written, 2 nothing to export or an ambiguous choice (the message\n"
      "names the cases), 3 cannot write.");
  mlperf->add_option("results", arguments->results, "The --out folder of a hil run")->required();
  mlperf->add_option("--out", arguments->options.out_dir, "Folder for the tree")->required();
  mlperf->add_option("--submitter", arguments->options.submitter, "Submitter (a folder name)")
      ->required();
  mlperf->add_option("--system", arguments->options.system, "System name (a folder name)")
      ->required();
  mlperf->add_option("--division", arguments->options.division, "open or closed")
      ->check(CLI::IsMember({"open", "closed"}))
      ->capture_default_str();
  mlperf
      ->add_option("--status", arguments->options.status,
                   "The system's availability: available, preview or rdi")
      ->check(CLI::IsMember({"available", "preview", "rdi"}))
      ->capture_default_str();
  mlperf->add_option("--configuration", arguments->options.configuration,
                     "The configuration whose cases to take, when the run has several");
  mlperf->add_option("--board", arguments->options.board,
                     "The board whose cases to take, when the run has several");
  mlperf->add_option("--run", arguments->run, "Run number in results.db (default: the newest)");
  mlperf->callback([arguments, &exit_code] { exit_code = ExportMlperf(*arguments); });
}

}  // namespace hil::cli
