#include "hil/run/case_selection.h"

#include <fnmatch.h>

#include <set>

#include "hil/run/case_result.h"

namespace hil::run {

bool MatchesPattern(const plan::Case& c, const std::string& pattern) {
  if (pattern.find_first_of("*?[") != std::string::npos)
    return ::fnmatch(pattern.c_str(), c.id.c_str(), 0) == 0;
  return pattern == c.id || pattern == c.network->name || pattern == c.configuration->name ||
         pattern == c.board;
}

Result<std::vector<plan::Case>> SelectCases(const std::vector<plan::Case>& cases,
                                            const std::vector<std::string>& patterns) {
  std::vector<plan::Case> chosen;
  std::vector<std::string> unmatched;
  std::set<std::string> matched_patterns;
  for (const plan::Case& c : cases) {
    bool any = false;
    for (const std::string& pattern : patterns) {
      if (MatchesPattern(c, pattern)) any = true, matched_patterns.insert(pattern);
    }
    if (any) chosen.push_back(c);
  }
  for (const std::string& pattern : patterns) {
    if (!matched_patterns.count(pattern)) unmatched.push_back(pattern);
  }
  if (unmatched.empty()) return chosen;
  std::string message = "--only ";
  for (size_t i = 0; i < unmatched.size(); ++i)
    message += (i == 0 ? "'" : ", '") + unmatched[i] + "'";
  message += unmatched.size() == 1 ? " matches no case" : " match no case";
  message += " of the plan; its cases are:";
  for (size_t i = 0; i < cases.size() && i < 20; ++i) message += "\n  " + cases[i].id;
  if (cases.size() > 20) message += "\n  ... and " + std::to_string(cases.size() - 20) + " more";
  message +=
      "\n(a pattern is a whole id, one of its parts, or a glob such as 'kws/*' or '*/simd/*')";
  return ConfigurationError(message);
}

std::vector<plan::Case> CasesToRerun(const std::vector<plan::Case>& cases,
                                     const std::vector<CaseResult>& previous_cases,
                                     bool previous_interrupted) {
  std::set<std::string> passed, listed;
  for (const CaseResult& c : previous_cases) {
    listed.insert(c.id);
    if (c.status == CaseStatus::kPass) passed.insert(c.id);
  }
  std::vector<plan::Case> chosen;
  for (const plan::Case& c : cases) {
    const bool failed = listed.count(c.id) && !passed.count(c.id);
    const bool never_reached = previous_interrupted && !listed.count(c.id);
    if (failed || never_reached) chosen.push_back(c);
  }
  return chosen;
}

Status OverrideMeasurement(plan::Plan& plan, std::optional<uint32_t> runs,
                           std::optional<uint32_t> warmup) {
  plan::Measurement& m = plan.measurement;
  if (runs) {
    const bool per_inference = m.window == measure::WindowKind::kInference;
    const uint32_t most = per_inference ? plan::kMaxInferenceWindows : 1000000;
    if (*runs < 1 || *runs > most) {
      return ConfigurationError(
          "--runs " + std::to_string(*runs) + ": between 1 and " + std::to_string(most) +
          (per_inference ? " with per-inference windows (the harness times each)" : ""));
    }
    m.runs = *runs;
  }
  if (warmup) {
    if (*warmup > 10000)
      return ConfigurationError("--warmup " + std::to_string(*warmup) + ": at most 10000");
    m.warmup = *warmup;
  }
  return OkStatus();
}

}  // namespace hil::run
