#include "report_command.h"

#include <charconv>
#include <cstdio>
#include <filesystem>

#include "hil/measure/units.h"
#include "hil/run/case_result.h"
#include "hil/run/compare.h"
#include "hil/run/exports.h"
#include "hil/run/html_report.h"
#include "hil/run/results_store.h"
#include "hil/run/trends_report.h"
#include "run_history.h"

namespace hil::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const char* command, const Error& error) {
  std::fprintf(stderr, "hil %s: %s\n", command, error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

struct ReportArguments {
  HistorySource source;
  int64_t run = 0;
  std::string baseline = "previous";
  std::string to;
  bool list = false;
  size_t history = 0;
  std::string plan;
  double threshold_pct = 5;
};

// Where the files go: --to, else the folder the runs came from (beside a
// .db file given instead). A lab's store has no folder: --to is needed.
Result<fs::path> OutputFolder(const ReportArguments& arguments, const std::string& what) {
  if (arguments.to.empty() && !arguments.source.store.empty()) {
    return ConfigurationError("--store: give --to FOLDER for " + what);
  }
  fs::path to = arguments.to.empty() ? fs::path(arguments.source.folder) : fs::path(arguments.to);
  if (arguments.to.empty() && to.extension() == ".db") to = to.parent_path();
  std::error_code error;
  fs::create_directories(to, error);
  if (error) return ConfigurationError("--to " + to.string() + ": " + error.message());
  return to;
}

// trends.html from the plan's newest `history` runs (the newest run's plan
// unless --plan names one).
int WriteTrends(run::RunHistory& store, const std::vector<run::StoredRun>& runs,
                const ReportArguments& arguments) {
  const std::string plan = arguments.plan.empty() ? runs.back().plan : arguments.plan;
  Result<std::vector<run::StoredRun>> recent = store.RecentRuns(plan, arguments.history);
  if (!recent.ok()) return Fail("report", recent.error());
  if (recent->empty()) {
    return Fail("report", ConfigurationError(store.Name() + " holds no run of plan '" + plan +
                                             "' (--plan names it)"));
  }
  std::vector<run::TrendRun> series;
  for (const run::StoredRun& stored : *recent) {
    Result<run::RunRecord> record = run::LoadRunRecord(store, stored.id);
    if (!record.ok()) return Fail("report", record.error());
    series.push_back({std::move(*record), stored.host, stored.job});
  }
  Result<fs::path> to = OutputFolder(arguments, "trends.html");
  if (!to.ok()) return Fail("report", to.error());
  const std::string page = (*to / "trends.html").string();
  const Status written = run::WriteTrendsReport(series, arguments.threshold_pct, page);
  if (!written.ok()) return Fail("report", written.error());
  std::printf("trends of plan '%s' over its last %zu run(s) written to %s\n", plan.c_str(),
              series.size(), page.c_str());
  return kExitOk;
}

int Report(const ReportArguments& arguments) {
  if (arguments.source.folder.empty() == arguments.source.store.empty()) {
    return Fail("report", ConfigurationError("give a hil run --out folder or --store (a lab's "
                                             "database), one of them"));
  }
  Result<std::unique_ptr<run::RunHistory>> store = OpenRunHistory(arguments.source);
  if (!store.ok()) return Fail("report", store.error());
  Result<std::vector<run::StoredRun>> runs = (*store)->Runs();
  if (!runs.ok()) return Fail("report", runs.error());
  if (runs->empty()) return Fail("report", ConfigurationError((*store)->Name() + " holds no run"));
  const bool lab = !arguments.source.store.empty();
  if (arguments.list) {
    // A lab's runs say where they ran.
    std::printf("%-5s %-20s %-22s %-12s %-14s%s\n", "run", "plan", "started", "status", "cases",
                lab ? "host     job" : "");
    for (const run::StoredRun& r : *runs) {
      Result<std::vector<run::StoredCase>> cases = (*store)->Cases(r.id);
      size_t passed = 0, total = cases.ok() ? cases->size() : 0;
      if (cases.ok()) {
        for (const run::StoredCase& c : *cases)
          passed += FromText<run::CaseStatus>(c.status) == run::CaseStatus::kPass;
      }
      const std::string counts = std::to_string(passed) + "/" + std::to_string(total) + " passed";
      const std::string where =
          lab ? r.host + (r.job ? " " + std::to_string(r.job) : std::string()) : "";
      std::printf("%-5lld %-20s %-22s %-12s %-14s%s\n", static_cast<long long>(r.id),
                  r.plan.c_str(), r.started.c_str(), r.status.c_str(), counts.c_str(),
                  where.c_str());
    }
    return kExitOk;
  }
  if (arguments.history > 0) return WriteTrends(**store, *runs, arguments);
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
  Result<fs::path> written_to = OutputFolder(arguments, "the files");
  if (!written_to.ok()) return Fail("report", written_to.error());
  const fs::path& to = *written_to;
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
  HistorySource lab;  // --store: run numbers are the lab store's
  double threshold_pct = 5;
  bool allow_different = false;
};

measure::Quantity QuantityOf(const std::string& figure) {
  return figure == "latency_us" ? measure::Quantity::kTimeUs
         : figure == "power_mW" ? measure::Quantity::kPowerMw
                                : measure::Quantity::kEnergyUj;
}

// A run number of a lab's store, or what LoadRun takes (a number of --db,
// or a results.json).
Result<run::RunRecord> LoadRunOf(const std::string& name, const CompareArguments& arguments,
                                 std::unique_ptr<run::RunHistory>& lab) {
  int64_t id = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), id);
  const bool number = error == std::errc() && end == name.data() + name.size();
  if (arguments.lab.store.empty() || !number) return run::LoadRun(name, arguments.db);
  if (!lab) {
    Result<std::unique_ptr<run::RunHistory>> opened = OpenRunHistory(arguments.lab);
    if (!opened.ok()) return opened.error();
    lab = std::move(*opened);
  }
  return run::LoadRunRecord(*lab, id);
}

int Compare(const CompareArguments& arguments) {
  std::unique_ptr<run::RunHistory> lab;
  Result<run::RunRecord> before = LoadRunOf(arguments.before, arguments, lab);
  if (!before.ok()) return Fail("compare", before.error());
  Result<run::RunRecord> after = LoadRunOf(arguments.after, arguments, lab);
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
      "  hil report results/nightly --run 12 --baseline 10 --to /tmp/r12\n"
      "  hil report results/nightly --history 30      trends.html: the last 30 runs, charted\n"
      "  hil report --store postgresql://hil@db.lab/hil --list   every host's runs of a lab\n\n"
      "Exit codes: 0 written, 2 no such folder or run, 3 the files cannot be written.");
  command->add_option("folder", arguments->source.folder,
                      "A hil run --out folder (holds results.db), or a results .db file");
  command->add_option("--store", arguments->source.store,
                      "A lab's database instead (LAB.md): postgresql://USER@HOST/DB or "
                      "'host=... dbname=...'; the password from --password-file or ~/.pgpass");
  command->add_option("--password-file", arguments->source.password_file,
                      "File whose first line is the lab database's password");
  command->add_option("--history", arguments->history,
                      "Trends instead: the plan's newest N runs as charts (trends.html)");
  command->add_option("--plan", arguments->plan,
                      "With --history: the plan (default: the newest run's)");
  command
      ->add_option("--threshold", arguments->threshold_pct,
                   "With --history: the regression threshold in percent, as hil compare's")
      ->capture_default_str();
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
  command->add_option("--store", arguments->lab.store,
                      "Run numbers are a lab database's (hil report --store ... --list shows "
                      "them), whichever host ran each");
  command->add_option("--password-file", arguments->lab.password_file,
                      "File whose first line is the lab database's password");
  command->add_option("--threshold-pct", arguments->threshold_pct, "Regression threshold")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_flag("--allow-different", arguments->allow_different,
                    "Compare runs of different plans or benches (refused otherwise; the\n"
                    "differences are printed as warnings)");
  command->callback([arguments, &exit_code] { exit_code = Compare(*arguments); });
}

}  // namespace hil::cli
