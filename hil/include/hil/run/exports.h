// The files a run leaves in its --out folder, all from the same record (so
// "hil report" rewrites them from results.db): results.json, results.csv,
// junit.xml, and the summary table printed at the end.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/run/case_result.h"

namespace hil::run {

struct RunRecord {
  int64_t id = 0;
  std::string plan, plan_path, started, finished, status;
  nlohmann::ordered_json bench;
  std::vector<CaseResult> cases;
  // The run its baseline expectations compared with: {run, started,
  // history (the results.db it came from)}; null when there was none.
  nlohmann::ordered_json baseline;
  // Which of the plan's cases ran, when not all: {only: [patterns],
  // rerun_failed: {run}, cases, of}; null for the whole plan.
  nlohmann::ordered_json selection;
  // The plan's settings changed for this run: {measurement: {runs,
  // warmup}}; null for none.
  nlohmann::ordered_json overrides;
};

// Text with &, <, > and quotes escaped for XML attributes and content.
std::string XmlEscaped(const std::string& text);

// Writes text to a temporary file and renames it over path, so a reader
// never sees half a file. Errors: infrastructure.
Status WriteAtomically(const std::string& path, const std::string& text);

// Each writes atomically, as above. Errors: infrastructure.
Status WriteResultsJson(const RunRecord& run, const std::string& path);
Status WriteResultsCsv(const RunRecord& run, const std::string& path);
// Failures (an expectation, an invalid measurement) and errors (the bench,
// the setup) stay apart, as JUnit means them.
Status WriteJUnit(const RunRecord& run, const std::string& path);

std::string SummaryTable(const RunRecord& run);

}  // namespace hil::run
