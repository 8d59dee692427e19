// Which cases of a plan a run takes, and with how many inferences: hil run's
// --only, --rerun-failed, --runs and --warmup, so one cell of a matrix can
// be rerun without editing the plan. Every choice is recorded in
// results.json ("selection", "overrides").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

// Whether a case matches one --only pattern. A pattern with *, ? or [...]
// is a glob over the whole id (NETWORK/CONFIGURATION/BOARD; * crosses
// '/'); without, it is the whole id or one of its three parts:
// "kws/simd/mps2-an386", "kws*", "*/simd/*", "kws", "mps2-an386".
bool MatchesPattern(const plan::Case& c, const std::string& pattern);

// The cases matching any of the patterns, in plan order. Errors:
// configuration, naming each pattern that matches no case and the ids
// there are.
Result<std::vector<plan::Case>> SelectCases(const std::vector<plan::Case>& cases,
                                            const std::vector<std::string>& patterns);

// The cases to run again after a run: those it failed or errored (by id);
// a run that was interrupted also never reached the cases it does not
// list.
std::vector<plan::Case> CasesToRerun(const std::vector<plan::Case>& cases,
                                     const std::vector<CaseResult>& previous_cases,
                                     bool previous_interrupted);

// --runs / --warmup over the plan's measurement, within the limits a plan
// has. Errors: configuration, naming the option and its limit.
Status OverrideMeasurement(plan::Plan& plan, std::optional<uint32_t> runs,
                           std::optional<uint32_t> warmup);

}  // namespace hil::run
