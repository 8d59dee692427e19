// Two runs side by side: per case and figure, the difference of the means
// with its 95 % confidence interval (Welch), and whether it is a regression:
// worse by more than the threshold, with the interval clear of zero.
#pragma once

#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/run/exports.h"

namespace hil::run {

struct FigureChange {
  std::string figure;                        // latency_us, energy_uJ, power_mW
  double before = 0, after = 0;              // means
  double difference = 0, low = 0, high = 0;  // after - before, and its 95 % CI
  double percent = 0;
  bool significant = false;  // the CI excludes zero
  bool regression = false;   // significant, worse, and beyond the threshold
};

struct CaseChange {
  std::string id;
  std::vector<FigureChange> figures;
  std::string note;  // when a case cannot be compared
  // The firmware images differ (sha256): a changed build, not only a changed
  // bench; e.g. "firmware changed: 1f0a3c9e... -> 77b2d410...".
  std::string firmware_changed;
};

// Why two runs should not be compared as one series (different plans,
// benches or boards' kinds); empty when they can be.
std::vector<std::string> Incomparabilities(const RunRecord& before, const RunRecord& after);

std::vector<CaseChange> CompareRuns(const RunRecord& before, const RunRecord& after,
                                    double threshold_pct);

// A run named on the command line: a run id in `database`, a results.json
// file, or a folder holding one. Errors: configuration.
Result<RunRecord> LoadRun(const std::string& name, const std::string& database);

}  // namespace hil::run
