// A plan's expectations judged on a case's figures: absolute limits, and
// changes against the baseline run, which never pass without one.
#pragma once

#include <string>

#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

// Judges the plan's expectations on `result`, the baseline ones against
// `baseline` (none: they fail, or are skipped when the plan says so).
// Returns whether all held or were skipped.
bool JudgeExpectations(const plan::Plan& plan, CaseResult& result,
                       const CaseResult* baseline = nullptr);

// The value of FIGURE.STAT in a result (NaN when absent).
double MetricValue(const CaseResult& result, const std::string& metric);

}  // namespace hil::run
