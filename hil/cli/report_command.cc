#include "report_command.h"

#include <cstdio>
#include <filesystem>

#include "hil/measure/units.h"
#include "hil/run/case_result.h"
#include "hil/run/compare.h"
#include "hil/run/exports.h"
#include "hil/run/html_report.h"
#include "hil/run/results_store.h"

namespace hil::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const char* command, const Error& error) {
  std::fprintf(stderr, "hil %s: %s\n", command, error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

struct ReportArguments {
  std::string folder;
  int64_t run = 0;
  std::string baseline = "previous";
  std::string to;
  bool list = false;
};

int Report(const ReportArguments& arguments) {
  const fs::path db = fs::path(arguments.folder) / "results.db";
  if (!fs::exists(db)) {
    return Fail("report",
                ConfigurationError(arguments.folder + " has no results.db (give the --out "
                                                      "folder of a hil run)"));
  }
  Result<std::unique_ptr<run::ResultsStore>> store = run::ResultsStore::Open(db.string());
  if (!store.ok()) return Fail("report", store.error());
  Result<std::vector<run::StoredRun>> runs = (*store)->Runs();
  if (!runs.ok()) return Fail("report", runs.error());
  if (runs->empty()) return Fail("report", ConfigurationError(db.string() + " holds no run"));
  if (arguments.list) {
    std::printf("%-5s %-20s %-22s %-12s %s\n", "run", "plan", "started", "status", "cases");
    for (const run::StoredRun& r : *runs) {
      Result<std::vector<run::StoredCase>> cases = (*store)->Cases(r.id);
      size_t passed = 0, total = cases.ok() ? cases->size() : 0;
      if (cases.ok()) {
        for (const run::StoredCase& c : *cases)
          passed += FromText<run::CaseStatus>(c.status) == run::CaseStatus::kPass;
      }
      std::printf("%-5lld %-20s %-22s %-12s %zu/%zu passed\n", static_cast<long long>(r.id),
                  r.plan.c_str(), r.started.c_str(), r.status.c_str(), passed, total);
    }
    return kExitOk;
  }
  const int64_t id = arguments.run != 0 ? arguments.run : runs->back().id;
  Result<run::RunRecord> record = run::LoadRunRecord(**store, id);
  if (!record.ok()) return Fail("report", record.error());
  std::optional<run::RunRecord> baseline;
  if (arguments.baseline != "none") {
    int64_t baseline_id = 0;
    if (arguments.baseline == "previous") {
      Result<std::optional<run::StoredRun>> previous = (*store)->LatestRun(record->plan, id);
      if (previous.ok() && *previous) baseline_id = (*previous)->id;
    } else {
      try {
        baseline_id = std::stoll(arguments.baseline);
      } catch (const std::exception&) {
        return Fail("report", ConfigurationError("--baseline " + arguments.baseline +
                                                 ": give a run number, previous or none"));
      }
    }
    if (baseline_id != 0) {
      Result<run::RunRecord> loaded = run::LoadRunRecord(**store, baseline_id);
      if (!loaded.ok()) return Fail("report", loaded.error());
      baseline = std::move(*loaded);
    }
  }
  const fs::path to = arguments.to.empty() ? fs::path(arguments.folder) : fs::path(arguments.to);
  std::error_code error;
  fs::create_directories(to, error);
  if (error)
    return Fail("report", ConfigurationError("--to " + to.string() + ": " + error.message()));
  for (const Status& written : {run::WriteResultsJson(*record, (to / "results.json").string()),
                                run::WriteResultsCsv(*record, (to / "results.csv").string()),
                                run::WriteJUnit(*record, (to / "junit.xml").string()),
                                run::WriteHtmlReport(*record, baseline ? &*baseline : nullptr,
                                                     (to / "report.html").string())}) {
    if (!written.ok()) return Fail("report", written.error());
  }
  std::printf("%s", run::SummaryTable(*record).c_str());
  std::printf(
      "run %lld of plan '%s' (%s) written to %s: report.html, results.json, results.csv, "
      "junit.xml%s\n",
      static_cast<long long>(record->id), record->plan.c_str(), record->status.c_str(), to.c_str(),
      baseline ? (", against run " + std::to_string(baseline->id)).c_str() : "");
  return kExitOk;
}

struct CompareArguments {
  std::string before, after;
  std::string db = "results.db";
  double threshold_pct = 5;
  bool allow_different = false;
};

measure::Quantity QuantityOf(const std::string& figure) {
  return figure == "latency_us" ? measure::Quantity::kTimeUs
         : figure == "power_mW" ? measure::Quantity::kPowerMw
                                : measure::Quantity::kEnergyUj;
}

int Compare(const CompareArguments& arguments) {
  Result<run::RunRecord> before = run::LoadRun(arguments.before, arguments.db);
  if (!before.ok()) return Fail("compare", before.error());
  Result<run::RunRecord> after = run::LoadRun(arguments.after, arguments.db);
  if (!after.ok()) return Fail("compare", after.error());
  // Runs of different plans or benches are not one series: refused unless
  // asked for, and then every difference is printed first.
  const std::vector<std::string> apart = run::Incomparabilities(*before, *after);
  if (!apart.empty() && !arguments.allow_different) {
    std::string why;
    for (const std::string& reason : apart) why += (why.empty() ? "" : "; ") + reason;
    return Fail("compare", ConfigurationError(why + "; give --allow-different to compare them "
                                                    "anyway"));
  }
  for (const std::string& reason : apart) std::printf("warning: %s\n", reason.c_str());
  const std::vector<run::CaseChange> changes =
      run::CompareRuns(*before, *after, arguments.threshold_pct);
  size_t regressions = 0, rebuilt = 0;
  const char* format = "%-36s %-10s %13s %13s %9s  %-30s %s\n";
  std::printf(format, "case", "figure", "before", "after", "change", "95% CI of the difference",
              "");
  std::printf(format, "", "", "(mean)", "(mean)", "", "", "");
  for (const run::CaseChange& c : changes) {
    if (!c.note.empty() && c.figures.empty()) {
      std::printf("%-36s %s\n", c.id.c_str(), c.note.c_str());
      continue;
    }
    for (const run::FigureChange& f : c.figures) {
      const measure::Quantity quantity = QuantityOf(f.figure);
      const char* verdict = f.regression    ? "REGRESSION"
                            : f.significant ? (f.percent < 0 ? "better" : "worse, within threshold")
                                            : "";
      char percent[32];
      std::snprintf(percent, sizeof percent, "%+.3f %%", f.percent);
      std::printf(format, c.id.c_str(), f.figure.c_str(),
                  measure::Human(f.before, quantity).c_str(),
                  measure::Human(f.after, quantity).c_str(), percent,
                  measure::HumanChangeInterval(f.low, f.high, quantity).c_str(), verdict);
      regressions += f.regression;
    }
    if (!c.firmware_changed.empty()) {
      std::printf("%-36s %s\n", "", c.firmware_changed.c_str());
      ++rebuilt;
    }
  }
  if (rebuilt > 0) {
    std::printf(
        "\n%zu case%s ran different firmware in the two runs: a change there is the "
        "build's as much as the bench's\n",
        rebuilt, rebuilt == 1 ? "" : "s");
  }
  std::printf(
      "\n%zu regression%s beyond %g %% (a regression: worse by more than the threshold, "
      "with the 95 %% CI of the difference clear of zero)\n",
      regressions, regressions == 1 ? "" : "s", arguments.threshold_pct);
  return regressions > 0 ? ExitCodeFor(ErrorKind::kTestFailure) : kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<ReportArguments>();
  CLI::App* command = app.add_subcommand(
      "report",
      "Rewrite a run's report.html, results.json, results.csv and junit.xml from the\n"
      "results.db in a hil run --out folder.\n\n"
      "Examples:\n"
      "  hil report results/quickstart                 the newest run, against the one before\n"
      "  hil report results/nightly --list             every run in the database\n"
      "  hil report results/nightly --run 12 --baseline 10 --to /tmp/r12\n\n"
      "Exit codes: 0 written, 2 no such folder or run, 3 the files cannot be written.");
  command->add_option("folder", arguments->folder, "A hil run --out folder (holds results.db)")
      ->required();
  command->add_option("--run", arguments->run, "Run number (default: the newest)");
  command
      ->add_option("--baseline", arguments->baseline,
                   "Run to compare with: a number, previous (the plan's run before), or none")
      ->capture_default_str();
  command->add_option("--to", arguments->to, "Write the files here instead of the folder");
  command->add_flag("--list", arguments->list, "List the runs in the database");
  command->callback([arguments, &exit_code] { exit_code = Report(*arguments); });
}

void AddCompareCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<CompareArguments>();
  CLI::App* command = app.add_subcommand(
      "compare",
      "Compare two runs case by case: the change of each figure's mean with its 95 %\n"
      "confidence interval (Welch). A regression is worse by more than the threshold\n"
      "with the interval clear of zero.\n\n"
      "A run is a run number in --db, a results.json, or a folder holding one.\n\n"
      "Examples:\n"
      "  hil compare 3 4 --db results/nightly/results.db\n"
      "  hil compare old/results.json results/quickstart --threshold-pct 2\n\n"
      "Cases whose firmware changed (another sha256) are marked.\n\n"
      "Exit codes: 0 no regression, 1 a regression, 2 a run cannot be read, or the\n"
      "runs are of different plans or benches (without --allow-different).");
  command->add_option("run_a", arguments->before, "The earlier run")->required();
  command->add_option("run_b", arguments->after, "The later run")->required();
  command->add_option("--db", arguments->db, "Results database for run numbers")
      ->capture_default_str();
  command->add_option("--threshold-pct", arguments->threshold_pct, "Regression threshold")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_flag("--allow-different", arguments->allow_different,
                    "Compare runs of different plans or benches (refused otherwise; the\n"
                    "differences are printed as warnings)");
  command->callback([arguments, &exit_code] { exit_code = Compare(*arguments); });
}

}  // namespace hil::cli
