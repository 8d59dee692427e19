// A case and a run as results.json has them (../shared/docs/design.md, kept
// as a contract; testplans/README.md lists the additions).
#pragma once

#include <nlohmann/json.hpp>

#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

nlohmann::ordered_json CaseJson(const CaseResult& result);
nlohmann::ordered_json BenchJson(const plan::Plan& plan);

// ISO 8601 UTC of now, to the second, or to the millisecond (hild orders
// the jobs of a bench by it).
std::string NowIso8601(bool with_milliseconds = false);

}  // namespace hil::run
