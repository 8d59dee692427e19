// Runs a validated plan: every case in turn (firmware, bench, measurement,
// verification, expectations), infrastructure errors retried per the plan,
// a failing case never stopping the others, and every finished case
// committed to results.db and the output files before the next begins.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hil/bench/bench_spec.h"
#include "hil/error.h"
#include "hil/plan/plan.h"
#include "hil/run/exports.h"
#include "hil/run/progress.h"

namespace hil::run {

struct RunOptions {
  std::string out_dir;
  // The bench to run on, from a bench file. Empty: the virtual bench the
  // plan describes. A plan with `bench: {kind: real}` needs a real one.
  std::optional<bench::BenchSpec> bench;
  std::string firmware_cache;  // empty: FirmwareBuilder's default
  // Where baselines come from and finished runs are recorded for the next
  // one: a results.db shared by every run of the plan (hild keeps one per
  // plan and bench). Empty: the output folder's own results.db.
  std::string history_db;
  // Which cases run: --only patterns (see MatchesPattern), and with
  // rerun_failed only those the output's newest run of the plan did not
  // pass. Neither: every case; a run of fewer is stored as "partial" and
  // is never a baseline.
  std::vector<std::string> only;
  bool rerun_failed = false;
  // The plan's measurement counts, overridden (--runs, --warmup).
  std::optional<uint32_t> runs, warmup;
  // Set from a signal handler: the run stops after the case in progress.
  const std::atomic<bool>* interrupted = nullptr;
  // results.json, results.csv, junit.xml and report.html in out_dir after
  // every case; false: results.db alone (hil optimize writes its own).
  bool write_exports = true;
  // What the run is doing, for a ProgressPrinter or hild's event stream.
  std::function<void(const ProgressEvent&)> progress;
};

struct RunOutcome {
  RunRecord record;
  int exit_code = 0;  // as design.md's hil run: 0, 1, 2 or 3
  size_t passed = 0, failed = 0, errors = 0, not_run = 0;
  // Set when the selection left nothing to run (exit 0, nothing stored).
  std::string nothing_to_run;
};

// Errors: only what stops the whole run before it starts (the output
// folder, the database).
Result<RunOutcome> ExecutePlan(const plan::Plan& plan, const RunOptions& options);

}  // namespace hil::run
