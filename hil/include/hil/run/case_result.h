// What one case of a plan produced: figures, verification, expectations and
// how it ended. The results store and every report read this.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hil/enum_text.h"
#include "hil/error.h"
#include "hil/measure/summary.h"
#include "hil/measure/windows.h"
#include "hil/run/firmware_builder.h"

namespace hil::run {

struct ExpectationResult {
  std::string what;  // as the plan wrote it
  bool ok = false;
  // Not judged: a baseline expectation without a baseline, under the plan's
  // on_missing_baseline: skip. Never ok; it does not fail the case.
  bool skipped = false;
  std::string detail;  // measured value, or why it could not be judged
};

struct Verification {
  // Null until a host reference exists for the network (issue 8 brings
  // the reference runtime); the outputs are still stored.
  std::optional<bool> outputs_match;
  // How outputs were compared: "bits" (every output bit for bit), or
  // "relative 1e-5" for a float32 network on TFLM, whose kernels sum in
  // another order and use the C library's expf (see MEASUREMENT.md).
  std::string outputs_compared = "bits";
  // The largest |host - device| over every compared output, as real values.
  double max_output_error = 0;
  uint64_t samples_lost = 0;
  double layer_sum_error_pct = 0;
  double latency_crosscheck_error_pct = 0;
  bool has_ground_truth = false;
  double truth_latency_us = 0, truth_energy_uj = 0, truth_instructions = 0;
  double truth_latency_error_pct = 0, truth_energy_error_pct = 0;
};

// The current through the first measured window, for the report's plot:
// at most ~1500 points (min and max of each stretch when downsampled).
struct TraceSnippet {
  std::vector<double> time_s;  // on the probe's clock
  std::vector<double> current_ma;
  double window_start_s = 0, window_end_s = 0;
  std::vector<double> boundaries_s;  // layer edges inside the window
  // A whole session instead (an import): every window, shaded in the plot.
  std::vector<std::pair<double, double>> windows_s;
  bool empty() const { return time_s.empty(); }
};

// A timestamp-window run's whole capture as energy per sample period (1 kHz
// where the probe's rate allows, as EnergyRunner records), with its windows:
// written in EnergyRunner's layout for MLPerf's tools. Not in results.json.
struct EnergyTrace {
  double sample_rate_hz = 0;
  std::vector<float> energy_uj;
  std::vector<std::pair<double, double>> windows_s;  // valid timestamp windows
  uint32_t inferences_per_window = 0;
};

// A dataset run through the DUT: top-1 against the labels, and the outputs
// against the host's reference bit for bit.
struct DatasetResult {
  std::string metric = "top1";  // or "auc": an autoencoder (hil/model/dataset.h)
  size_t inputs = 0, correct = 0, matched = 0;
  std::optional<double> auc;   // anomaly datasets
  std::string first_mismatch;  // file, when some output differed
  double top1() const { return inputs ? static_cast<double>(correct) / inputs : 0; }
};

// How a case ended. pass: measured, verified, every expectation met.
// fail: an expectation not met, or the measurement is invalid. error: the
// bench failed (after retries) or the case could not be set up.
enum class CaseStatus { kPass, kFail, kError };

// How a run ended, as results.db and results.json record it. running: it
// never finished (hil was killed); partial: it ran only some of the plan's
// cases (--only, --rerun-failed).
enum class RunStatus { kRunning, kFinished, kInterrupted, kPartial };

}  // namespace hil::run

template <>
struct hil::EnumText<hil::run::CaseStatus> {
  using Status = hil::run::CaseStatus;
  static constexpr std::pair<Status, std::string_view> kWords[] = {
      {Status::kPass, "pass"}, {Status::kFail, "fail"}, {Status::kError, "error"}};
};

template <>
struct hil::EnumText<hil::run::RunStatus> {
  using Status = hil::run::RunStatus;
  static constexpr std::pair<Status, std::string_view> kWords[] = {
      {Status::kRunning, "running"},
      {Status::kFinished, "finished"},
      {Status::kInterrupted, "interrupted"},
      {Status::kPartial, "partial"}};
};

namespace hil::run {

// What an EnergyRunner session recorded beyond the figures, for a case
// imported from one (hil import energyrunner).
struct ImportedSession {
  struct Window {
    double begin_s = 0, end_s = 0;
    uint32_t inferences = 0;
    double energy_uj = 0;
  };
  double sample_rate_hz = 0;
  std::optional<double> runner_energy_uj;  // the runner's own median, from its results.txt
  std::vector<Window> windows;
};

// A case from the moment it is measured until it is written: the results
// store, results.json, the CSV, JUnit, the report and the comparisons all
// take it typed. A case read back from results.db or a results.json
// (CaseFromJson) carries what results.json keeps: its error_kind is not
// kept, so it is unset; its status and error are.
struct CaseResult {
  std::string id, network, configuration, board;
  CaseStatus status = CaseStatus::kError;
  std::optional<ErrorKind> error_kind;
  std::string error;  // why it is not "pass"; empty when it is
  // A failed case's reasons one by one (outputs, each expectation not met);
  // `error` joins them.
  std::vector<std::string> failures;
  int attempts = 0;
  double seconds = 0;
  std::string started;  // ISO 8601, UTC

  Firmware firmware;
  measure::CaseFigures figures;
  std::vector<std::string> layer_ops;  // from the harness's layers%
  std::string kernels;                 // as the harness names them (hil-info%), e.g. tflm-cmsis-nn
  std::string model_id;                // what the harness answered to profile%: m-model-[ID]
  uint32_t arena_bytes = 0;            // working memory the network used (hil-info%); 0: unknown
  TraceSnippet trace;
  std::vector<float> outputs;
  Verification verification;
  std::optional<DatasetResult> dataset;
  std::vector<ExpectationResult> expectations;
  std::optional<EnergyTrace> energy_trace;
  std::optional<ImportedSession> imported;
};

}  // namespace hil::run
