// trends.html: what a team looks at every morning. Per case of a plan, its
// latency, energy and accuracy over the plan's last runs as charts, each
// point linked to its run (when, where, which firmware), and the
// regressions hil compare would flag between one run and the next marked.
#pragma once

#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/run/exports.h"

namespace hil::run {

struct TrendRun {
  RunRecord record;
  std::string host;  // a lab's: where it ran (empty: this host)
  int64_t job = 0;   // a lab's: its hild job
};

// `runs` oldest first, all of one plan. Errors: infrastructure (cannot
// write `path`).
Status WriteTrendsReport(const std::vector<TrendRun>& runs, double threshold_pct,
                         const std::string& path);

}  // namespace hil::run
