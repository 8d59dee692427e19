#include "hil/run/executor.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "hil/measure/figures_json.h"
#include "hil/mlperf/energyrunner.h"
#include "hil/run/case_runner.h"
#include "hil/run/case_selection.h"
#include "hil/run/expectations.h"
#include "hil/run/firmware_builder.h"
#include "hil/run/html_report.h"
#include "hil/run/results_json.h"
#include "hil/run/results_store.h"

namespace hil::run {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A case id as one folder name: kws/O2/mps2-an386 -> kws_O2_mps2-an386.
std::string SafeName(const std::string& id) {
  std::string name;
  for (char c : id) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return name;
}

// A timestamp-window case's capture, in EnergyRunner's layout: the start,
// then each window's edges, on the trace's clock.
Status WriteCaseSession(EnergyTrace trace, const std::string& model, double supply_v,
                        const std::string& folder) {
  mlperf::SessionToWrite session;
  session.sample_rate_hz = trace.sample_rate_hz;
  session.energy_uj = std::move(trace.energy_uj);  // hours of capture can be megabytes
  session.model = model;
  session.supply_v = supply_v;
  session.timestamps_s.push_back(trace.windows_s.front().first / 2);
  for (const auto& [begin, end] : trace.windows_s) {
    session.timestamps_s.push_back(begin);
    session.timestamps_s.push_back(end);
    session.inferences.push_back(trace.inferences_per_window);
  }
  return mlperf::WriteEnergyRunnerSession(session, folder);
}

// The baseline run's measured cases by id, for the expectations to compare
// with.
std::map<std::string, const CaseResult*> BaselineCases(const RunRecord& run) {
  std::map<std::string, const CaseResult*> cases;
  for (const CaseResult& c : run.cases) {
    if (c.status == CaseStatus::kPass || c.status == CaseStatus::kFail) cases.emplace(c.id, &c);
  }
  return cases;
}

// The newest run of a plan in a store, whatever its status.
Result<std::optional<StoredRun>> NewestRunOf(ResultsStore& store, const std::string& plan) {
  Result<std::vector<StoredRun>> runs = store.Runs();
  if (!runs.ok()) return runs.error();
  std::optional<StoredRun> newest;
  for (const StoredRun& run : *runs) {
    if (run.plan == plan && (!newest || run.id > newest->id)) newest = run;
  }
  return newest;
}

void Classify(CaseResult& result) {
  if (result.error_kind) {
    result.status = CaseStatus::kError;
    return;
  }
  const measure::CaseFigures& f = result.figures;
  std::string invalid;
  if (f.used == 0) {
    invalid = f.problems.empty() ? "no valid window" : f.problems.front();
  } else if (!f.problems.empty()) {
    invalid = f.problems.front();
  } else if (!f.invalid.empty()) {
    invalid = std::to_string(f.invalid.size()) + " of " + std::to_string(f.windows) +
              " windows invalid; window " + std::to_string(f.invalid.front().window) + ": " +
              f.invalid.front().problems.front();
  }
  if (!invalid.empty()) {
    result.status = CaseStatus::kFail;
    result.error_kind = ErrorKind::kMeasurementInvalid;
    result.error = "measurement invalid: " + invalid;
    return;
  }
  // Every reason the case failed, not only the first.
  std::vector<std::string> reasons;
  if (result.verification.outputs_match == false) {
    reasons.push_back("outputs differ from the host reference" +
                      (result.dataset
                           ? " on " +
                                 std::to_string(result.dataset->inputs - result.dataset->matched) +
                                 " of " + std::to_string(result.dataset->inputs) +
                                 " dataset inputs (first: " + result.dataset->first_mismatch + ")"
                           : std::string()));
  }
  for (const ExpectationResult& e : result.expectations) {
    if (!e.ok && !e.skipped)
      reasons.push_back("expectation not met: " + e.what + " (" + e.detail + ")");
  }
  if (reasons.empty()) {
    result.status = CaseStatus::kPass;
    return;
  }
  result.status = CaseStatus::kFail;
  result.error_kind = ErrorKind::kTestFailure;
  result.error.clear();
  for (const std::string& reason : reasons)
    result.error += (result.error.empty() ? "" : "; ") + reason;
  result.failures = std::move(reasons);
}

}  // namespace

Result<RunOutcome> ExecutePlan(const plan::Plan& given, const RunOptions& options) {
  // The plan as this run takes it: its measurement counts may be overridden.
  plan::Plan measured = given;
  HIL_RETURN_IF_ERROR(OverrideMeasurement(measured, options.runs, options.warmup));
  const plan::Plan& plan = measured;
  const BenchKind bench_kind = options.bench ? options.bench->kind : BenchKind::kVirtual;
  if (plan.bench.kind != bench_kind) {
    return ConfigurationError(
        plan.path + ": the plan is for a " + std::string(ToText(plan.bench.kind)) + " bench, but " +
        (options.bench ? "bench " + options.bench->name + " is " + std::string(ToText(bench_kind))
                       : std::string("no bench was given")) +
        (plan.bench.kind == BenchKind::kReal ? "; run it with --bench-file FILE --bench NAME "
                                               "(hil/BENCHES.md), or submit it to hild"
                                             : ""));
  }
  // The cases this run takes: --only first (a pattern that matches no case
  // of the plan is a mistake, whatever failed last time), then the ones the
  // previous run did not pass.
  std::vector<plan::Case> cases = plan::ExpandMatrix(plan);
  const size_t plan_cases = cases.size();
  Json selection;
  if (!options.only.empty()) {
    Result<std::vector<plan::Case>> chosen = SelectCases(cases, options.only);
    if (!chosen.ok()) return chosen.error();
    cases = std::move(*chosen);
    selection["only"] = options.only;
  }
  // The run --rerun-failed starts from, kept: it is often the baseline too.
  std::optional<RunRecord> previous_record;
  if (options.rerun_failed) {
    const fs::path db = fs::path(options.out_dir) / "results.db";
    std::optional<StoredRun> previous;
    if (fs::exists(db)) {
      Result<std::unique_ptr<ResultsStore>> earlier = ResultsStore::Open(db.string());
      if (!earlier.ok()) return earlier.error();
      Result<std::optional<StoredRun>> newest = NewestRunOf(**earlier, plan.name);
      if (!newest.ok()) return newest.error();
      previous = *newest;
      if (previous) {
        Result<RunRecord> loaded = LoadRunRecord(**earlier, previous->id);
        if (!loaded.ok()) return loaded.error();
        const std::optional<RunStatus> ended = FromText<RunStatus>(loaded->status);
        const bool interrupted = ended == RunStatus::kInterrupted || ended == RunStatus::kRunning;
        cases = CasesToRerun(cases, loaded->cases, interrupted);
        previous_record = std::move(*loaded);
      }
    }
    if (!previous) {
      return ConfigurationError("--rerun-failed: " + db.string() + " has no run of plan '" +
                                plan.name +
                                "' to take the failed cases from; run it once "
                                "without --rerun-failed (or give the --out of an earlier run)");
    }
    selection["rerun_failed"] = {{"run", previous->id}, {"status", previous->status}};
    if (cases.empty()) {
      RunOutcome nothing;
      nothing.nothing_to_run = "nothing to rerun: run " + std::to_string(previous->id) + " (" +
                               previous->started + ") has no failed case" +
                               (options.only.empty() ? "" : " that --only selects");
      return nothing;
    }
  }
  if (!selection.is_null()) {
    selection["cases"] = cases.size();
    selection["of"] = plan_cases;
  }

  std::error_code fs_error;
  fs::create_directories(options.out_dir, fs_error);
  if (fs_error) {
    return ConfigurationError("--out " + options.out_dir + ": " + fs_error.message());
  }
  const fs::path out = options.out_dir;
  Result<std::unique_ptr<ResultsStore>> opened = ResultsStore::Open((out / "results.db").string());
  if (!opened.ok()) return opened.error();
  ResultsStore& store = **opened;

  RunOutcome outcome;
  RunRecord& record = outcome.record;
  record.selection = selection;
  if (options.runs) record.overrides["measurement"]["runs"] = *options.runs;
  if (options.warmup) record.overrides["measurement"]["warmup"] = *options.warmup;
  record.plan = plan.name;
  record.plan_path = fs::absolute(plan.path).string();
  record.started = NowIso8601();
  record.status = ToText(RunStatus::kRunning);
  record.bench = BenchJson(plan);
  if (options.bench) {
    // The bench file states the physical facts; the plan's are the virtual bench's.
    const bench::BenchSpec& spec = *options.bench;
    record.bench["name"] = spec.name;
    record.bench["board"] = spec.board;
    record.bench["flasher"] = ToText(spec.flasher);
    record.bench["probe"] = spec.probe.kind;
    if (!spec.probe.connect.empty()) record.bench["connect"] = spec.probe.connect;
    record.bench["supply_mV"] = spec.supply_mv;
    record.bench["triggers"] = {{"inference", spec.inference.input},
                                {"layer", spec.layer.input},
                                {"timestamp", spec.timestamp.input}};
  }
  Result<int64_t> run_id =
      store.BeginRun(record.plan, record.plan_path, record.started, record.bench);
  if (!run_id.ok()) return run_id.error();
  record.id = *run_id;
  // The baseline: the newest earlier finished run of this plan in the
  // history (the output's own results.db unless one is shared).
  std::unique_ptr<ResultsStore> shared_history;
  ResultsStore* history = &store;
  if (!options.history_db.empty()) {
    Result<std::unique_ptr<ResultsStore>> shared = ResultsStore::Open(options.history_db);
    if (!shared.ok()) return shared.error();
    shared_history = std::move(*shared);
    history = shared_history.get();
  }
  const int64_t before = history == &store ? record.id : 0;
  // Read once, typed: the expectations and the report both take it.
  std::optional<RunRecord> baseline_record;
  if (Result<std::optional<StoredRun>> previous = history->LatestRun(plan.name, before);
      previous.ok() && *previous) {
    const bool already_read =
        history == &store && previous_record && previous_record->id == (*previous)->id;
    Result<RunRecord> loaded = already_read ? Result<RunRecord>(std::move(*previous_record))
                                            : LoadRunRecord(*history, (*previous)->id);
    if (loaded.ok()) {
      baseline_record = std::move(*loaded);
      record.baseline = {{"run", baseline_record->id},
                         {"started", baseline_record->started},
                         {"history", options.history_db.empty() ? (out / "results.db").string()
                                                                : options.history_db}};
    }
  }
  const std::map<std::string, const CaseResult*> baseline =
      baseline_record ? BaselineCases(*baseline_record)
                      : std::map<std::string, const CaseResult*>();

  const auto write_outputs = [&]() -> Status {
    if (!options.write_exports) return OkStatus();
    HIL_RETURN_IF_ERROR(WriteResultsJson(record, (out / "results.json").string()));
    HIL_RETURN_IF_ERROR(WriteResultsCsv(record, (out / "results.csv").string()));
    HIL_RETURN_IF_ERROR(WriteJUnit(record, (out / "junit.xml").string()));
    return WriteHtmlReport(record, baseline_record ? &*baseline_record : nullptr,
                           (out / "report.html").string());
  };

  FirmwareBuilder builder(options.firmware_cache);
  const Clock::time_point run_start = Clock::now();
  RemainingTime remaining(cases.size());
  bool any_config = false, any_infra = false, any_fail = false;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (options.interrupted != nullptr && *options.interrupted) {
      outcome.not_run = cases.size() - i;
      break;
    }
    const plan::Case& c = cases[i];
    const Clock::time_point case_start = Clock::now();
    const auto report = [&](const std::string& step, bool case_done) {
      if (!options.progress) return;
      ProgressEvent event;
      event.index = i + 1, event.count = cases.size(), event.case_id = c.id, event.step = step;
      event.elapsed_s = SecondsSince(run_start);
      if (case_done) remaining.CaseFinished(i + 1, event.elapsed_s);
      event.left_s = remaining.Left(event.elapsed_s);
      event.case_done = case_done;
      options.progress(event);
    };
    const auto progress = [&](const std::string& step) { report(step, false); };
    CaseResult result;
    result.id = c.id;
    result.network = c.network->name;
    result.configuration = c.configuration->name;
    result.board = c.board;
    result.started = NowIso8601();

    FirmwareRequest request;
    request.board = c.board;
    request.workload = c.network->workload;
    request.optimisation = c.configuration->optimisation;
    request.defines = c.configuration->defines;
    request.prebuilt = c.configuration->firmware;
    request.model = c.network->model;
    request.model_id = c.network->mlperf;
    request.framework = c.configuration->framework;
    request.kernels = c.configuration->kernels;
    request.number_format = c.configuration->number_format;
    request.fpu = c.configuration->fpu;
    progress("firmware");
    Result<Firmware> firmware = builder.Provide(request, progress);
    if (!firmware.ok()) {
      result.error_kind = firmware.error().kind();
      result.error = firmware.error().ToString();
    } else {
      result.firmware = *firmware;
      for (uint32_t attempt = 0; attempt <= plan.retries; ++attempt) {
        CaseResult tried = result;
        tried.attempts = static_cast<int>(attempt + 1);
        Status ran = options.bench && options.bench->kind == BenchKind::kReal
                         ? RunRealCase(plan, c, *firmware, *options.bench, tried, progress)
                         : RunVirtualCase(plan, c, *firmware, tried, progress);
        if (ran.ok()) {
          tried.error_kind.reset();
          tried.error.clear();
          result = std::move(tried);
          break;
        }
        tried.error_kind = ran.error().kind();
        tried.error = ran.error().ToString();
        result = std::move(tried);
        if (ran.error().kind() != ErrorKind::kInfrastructure) break;
        if (attempt < plan.retries) progress("retrying after: " + ran.error().message());
        if (options.interrupted != nullptr && *options.interrupted) break;
      }
      if (!result.error_kind) {
        const auto found = baseline.find(c.id);
        JudgeExpectations(plan, result, found == baseline.end() ? nullptr : found->second);
      }
    }
    result.seconds = SecondsSince(case_start);
    Classify(result);
    if (result.status == CaseStatus::kPass) ++outcome.passed;
    if (result.status == CaseStatus::kFail) ++outcome.failed, any_fail = true;
    if (result.status == CaseStatus::kError) {
      ++outcome.errors;
      if (result.error_kind == ErrorKind::kConfiguration)
        any_config = true;
      else
        any_infra = true;
    }
    if (result.energy_trace) {
      // MLPerf's tools (and hil import energyrunner) read this.
      const double supply_v =
          (options.bench ? options.bench->supply_mv : plan.bench.supply_mv) / 1000.0;
      if (Status written =
              WriteCaseSession(std::move(*result.energy_trace), result.model_id, supply_v,
                               (out / "energyrunner" / SafeName(c.id)).string());
          !written.ok()) {
        progress("cannot write the case's EnergyRunner session: " + written.error().message());
      }
      result.energy_trace.reset();
    }
    // Committed before the next case starts: a crash from here on loses
    // nothing of this one.
    HIL_RETURN_IF_ERROR(
        store.AddCase(record.id, c.id, std::string(ToText(result.status)), CaseJson(result)));
    const std::string ended =
        std::string(ToText(result.status)) + (result.error.empty() ? "" : ": " + result.error);
    record.cases.push_back(std::move(result));
    HIL_RETURN_IF_ERROR(write_outputs());
    report(ended, true);
  }
  record.finished = NowIso8601();
  const RunStatus ended = outcome.not_run > 0         ? RunStatus::kInterrupted
                          : cases.size() < plan_cases ? RunStatus::kPartial
                                                      : RunStatus::kFinished;
  record.status = ToText(ended);
  HIL_RETURN_IF_ERROR(store.FinishRun(record.id, record.finished, record.status));
  if (shared_history && ended == RunStatus::kFinished) {
    // The next run of the plan compares with this one.
    Result<int64_t> kept =
        shared_history->BeginRun(record.plan, record.plan_path, record.started, record.bench);
    if (!kept.ok()) return kept.error();
    for (const CaseResult& c : record.cases) {
      HIL_RETURN_IF_ERROR(
          shared_history->AddCase(*kept, c.id, std::string(ToText(c.status)), CaseJson(c)));
    }
    HIL_RETURN_IF_ERROR(shared_history->FinishRun(*kept, record.finished, record.status));
  }
  HIL_RETURN_IF_ERROR(write_outputs());
  outcome.exit_code = any_infra || outcome.not_run > 0 ? 3 : any_config ? 2 : any_fail ? 1 : 0;
  return outcome;
}

}  // namespace hil::run
