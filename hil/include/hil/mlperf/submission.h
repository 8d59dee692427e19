// An MLPerf Tiny submission tree written from a hil run, laid out and worded
// as mlcommons/tiny's submission checker (tools/submission) reads it:
//
//   DIVISION/SUBMITTER/systems/SYSTEM.json
//   DIVISION/SUBMITTER/results/SYSTEM/MODEL/{performance,accuracy,energy}/
//       log.txt results.txt results.json
//
// MODEL is the checker's model class (kws, ad, ic, vww, sww) of the case's
// MLPerf id (kws01, ...). A mode is written only where the run measured it:
// performance always, accuracy when the case ran a labelled dataset (top-1),
// energy when it ran MLPerf's energy mode (window: timestamp, mlperf: true).
#pragma once

#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/run/exports.h"

namespace hil::mlperf {

struct SubmissionOptions {
  std::string out_dir;
  std::string submitter, system;     // folder names: letters, digits, '.', '_', '-'
  std::string division = "open";     // open | closed
  std::string status = "available";  // available | preview | rdi
  // Which cases, when the run has several per benchmark (empty: any).
  std::string configuration, board;
};

struct SubmissionWritten {
  std::vector<std::string> files;  // relative to out_dir
  std::vector<std::string> notes;  // modes left out, and why
};

// The checker's model class of an MLPerf Tiny id: kws01 -> kws; empty when
// the id is not one.
std::string ModelClassOf(const std::string& mlperf_id);

// Errors: configuration (no case names an MLPerf benchmark, several do for
// one benchmark and the options do not choose, a chosen case did not pass,
// a bad name), infrastructure (cannot write).
Result<SubmissionWritten> WriteSubmission(const run::RunRecord& run,
                                          const SubmissionOptions& options);

}  // namespace hil::mlperf
