#include "run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <optional>
#include <vector>

#include "hil/plan/plan_parser.h"
#include "hil/run/executor.h"
#include "progress_output.h"

namespace hil::cli {
namespace {

std::atomic<bool> interrupted{false};

void OnInterrupt(int) {
  interrupted = true;
  // A second Ctrl-C ends at once; finished cases are already on disk.
  ::signal(SIGINT, SIG_DFL);
}

struct RunArguments {
  std::string plan;
  std::string out;
  std::string firmware_cache;
  std::string bench_file;
  std::string bench;
  bool quiet = false;
  std::vector<std::string> only;
  bool rerun_failed = false;
  std::optional<uint32_t> runs, warmup;
};

// A plan's name as one folder name: its letters, digits, '.', '-' and '_';
// anything else (a '/', a leading dot: "../x") becomes '_', so the default
// output folder stays inside results/.
std::string FolderName(const std::string& name) {
  std::string folder;
  for (const char c : name) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    folder += plain ? c : '_';
  }
  if (folder.empty() || folder[0] == '.') folder.insert(0, "_");
  return folder.substr(0, 128);
}

int Run(const RunArguments& arguments) {
  Result<plan::Plan> parsed = plan::ParsePlanFile(arguments.plan);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n", parsed.error().message().c_str());
    return ExitCodeFor(parsed.error().kind());
  }
  run::RunOptions options;
  options.out_dir = arguments.out.empty() ? "results/" + FolderName(parsed->name) : arguments.out;
  options.firmware_cache = arguments.firmware_cache;
  options.interrupted = &interrupted;
  options.only = arguments.only;
  options.rerun_failed = arguments.rerun_failed;
  options.runs = arguments.runs;
  options.warmup = arguments.warmup;
  if (!arguments.bench_file.empty()) {
    Result<bench::BenchSpec> named = bench::ReadNamedBench(arguments.bench_file, arguments.bench);
    if (!named.ok()) {
      std::fprintf(stderr, "hil run: %s\n", named.error().ToString().c_str());
      return ExitCodeFor(named.error().kind());
    }
    options.bench = std::move(*named);
  } else if (!arguments.bench.empty()) {
    std::fprintf(stderr, "hil run: --bench names a bench of a --bench-file\n");
    return ExitCodeFor(ErrorKind::kConfiguration);
  }
  run::ProgressPrinter printer = StderrProgress(arguments.quiet);
  options.progress = [&printer](const run::ProgressEvent& event) { printer.Show(event); };
  ::signal(SIGINT, OnInterrupt);
  if (!arguments.quiet) {
    std::fprintf(stderr, "running plan '%s' (%s) into %s\n", parsed->name.c_str(),
                 arguments.plan.c_str(), options.out_dir.c_str());
  }
  Result<run::RunOutcome> outcome = run::ExecutePlan(*parsed, options);
  ::signal(SIGINT, SIG_DFL);
  printer.Finish();
  if (!outcome.ok()) {
    std::fprintf(stderr, "hil run: %s\n", outcome.error().ToString().c_str());
    return ExitCodeFor(outcome.error().kind());
  }
  if (!outcome->nothing_to_run.empty()) {
    std::printf("%s\n", outcome->nothing_to_run.c_str());
    return 0;
  }
  std::printf("\n%s", run::SummaryTable(outcome->record).c_str());
  std::printf("\n%zu passed, %zu failed, %zu errors", outcome->passed, outcome->failed,
              outcome->errors);
  if (outcome->not_run > 0) std::printf(", %zu not run (interrupted)", outcome->not_run);
  if (const nlohmann::ordered_json& chosen = outcome->record.selection; !chosen.is_null()) {
    std::printf(" (%zu of the plan's %zu cases, selected by %s)", chosen.value("cases", size_t{0}),
                chosen.value("of", size_t{0}),
                chosen.contains("only") && chosen.contains("rerun_failed")
                    ? "--only and --rerun-failed"
                : chosen.contains("only") ? "--only"
                                          : "--rerun-failed");
  }
  std::printf(
      "\nresults: %s/report.html, results.json, results.csv, junit.xml; run %lld in results.db\n",
      options.out_dir.c_str(), static_cast<long long>(outcome->record.id));
  return outcome->exit_code;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<RunArguments>();
  CLI::App* command = app.add_subcommand(
      "run",
      "Run a test plan: every network x configuration x board case, measured and\n"
      "verified, into --out (results.json, results.csv, junit.xml; results.db keeps\n"
      "every run). Each case is written as it finishes; Ctrl-C stops after the case in\n"
      "progress (twice: at once) and keeps every finished one.\n\n"
      "Examples:\n"
      "  hil run testplans/quickstart.yaml\n"
      "  hil run testplans/quickstart.yaml --only kws --runs 3 --warmup 0   (one network, "
      "quickly)\n"
      "  hil run testplans/quickstart.yaml --only 'kws/simd/*'\n"
      "  hil run testplans/nightly.yaml --rerun-failed   (only what failed last time)\n"
      "  hil run testplans/nightly.yaml --out /srv/hil/nightly\n"
      "  hil run lab-plan.yaml --bench-file lab.yaml --bench l4r5-ppk2   (a real bench)\n\n"
      "Exit codes: 0 every case passed, 1 an expectation failed or a measurement is\n"
      "invalid, 2 the plan (or a case's configuration) is wrong, 3 the bench failed\n"
      "after retries, or the run was interrupted.");
  command->add_option("plan", arguments->plan, "The plan (YAML)")->required();
  command->add_option("--out", arguments->out, "Output folder (default results/PLAN-NAME)");
  command->add_option("--firmware-cache", arguments->firmware_cache,
                      "Where firmware built for configurations is kept (default "
                      "$HIL_CACHE_DIR or ~/.cache/hil)");
  command
      ->add_option("--bench-file", arguments->bench_file,
                   "Run on a bench of this bench file (hil/BENCHES.md) instead of the "
                   "virtual bench the plan describes")
      ->check(CLI::ExistingFile);
  command->add_option("--bench", arguments->bench,
                      "Which bench of --bench-file (needed when it has several)");
  command
      ->add_option("--only", arguments->only,
                   "Run only the cases matching PATTERN (repeatable): a case id "
                   "NETWORK/CONFIGURATION/BOARD, one of its parts (kws, simd, mps2-an386) or a "
                   "glob ('kws/*', '*/simd/*')")
      ->type_name("PATTERN");
  command->add_flag("--rerun-failed", arguments->rerun_failed,
                    "Run only the cases that failed or errored in the newest run of this plan in "
                    "--out (and those an interrupted run never reached)");
  command->add_option("--runs", arguments->runs,
                      "Measured inferences per case (or per timestamp window), instead of the "
                      "plan's measurement.runs");
  command->add_option("--warmup", arguments->warmup,
                      "Inferences before the measured ones, instead of the plan's "
                      "measurement.warmup");
  command->add_flag("-q,--quiet", arguments->quiet, "No progress; the summary and the totals only");
  command->callback([arguments, &exit_code] { exit_code = Run(*arguments); });
}

}  // namespace hil::cli
